"""``beacon-connect validate``: the same as ``push --dry-run`` (nothing is sent)."""

from __future__ import annotations

from connectors.commands import push as push_command
from connectors.commands._shared import DatasetOption, ProfileOption, SourceArgument


def validate(source: SourceArgument, profile: ProfileOption, dataset: DatasetOption) -> None:
    """Map, protect and validate a source file locally; show what would be sent."""
    push_command.run(source, profile, dataset, dry_run=True, batch_rows=1)
