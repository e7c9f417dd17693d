"""``beacon-connect validate``: the same as ``push --dry-run`` (nothing is sent)."""

from __future__ import annotations

from connectors.commands import push as push_command
from connectors.commands._shared import DatasetOption, JsonOption, ProfileOption, SourceArgument
from connectors.push import DEFAULT_BATCH_ROWS


def validate(
    profile: ProfileOption,
    dataset: DatasetOption,
    source: SourceArgument = None,
    as_json: JsonOption = False,
) -> None:
    """Map, protect and validate a source locally; show exactly what would be sent."""
    push_command.run(
        source, profile, dataset, dry_run=True, batch_rows=DEFAULT_BATCH_ROWS, as_json=as_json
    )
