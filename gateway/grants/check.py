"""Load the grants data and check it against the views and contracts at start-up.

Defends against entitlements that silently do nothing or point at the wrong data: a grant for
a view that does not exist, a view entry naming another dataset than the view reads, a granted
or filtered dimension the view does not have, and contributors for an unknown dataset all stop
the gateway with an error naming the file and the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from gateway.documents import describe
from gateway.grants.documents import GrantsDocument, ViewGrants
from gateway.grants.errors import InvalidGrantsError

if TYPE_CHECKING:
    from gateway.settings import PolicySettings
    from gateway.views.model import ViewDefinition

GRANTS_IN_POLICY_DIR = Path("beacon") / "grants" / "data.json"


def grants_file(policy: PolicySettings) -> Path | None:
    """The grants the policy engine reads: ``grants_path`` or the policy folder's data.json."""
    if policy.grants_path is not None:
        return Path(policy.grants_path)
    path = Path(policy.policy_dir) / GRANTS_IN_POLICY_DIR
    return path if path.is_file() else None


def load_grants(path: Path) -> GrantsDocument:
    try:
        text = path.read_text(encoding="utf-8")
        raw: Any = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except OSError as exc:
        raise InvalidGrantsError(f"{path}: cannot read grants ({exc.strerror})") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidGrantsError(f"{path}: not valid {path.suffix[1:].upper()} ({exc})") from None
    if not isinstance(raw, dict):
        raise InvalidGrantsError(f"{path}: top level must be a mapping")
    try:
        return GrantsDocument.model_validate(raw)
    except ValidationError as exc:
        raise InvalidGrantsError(f"{path}: {describe(exc, top='grants')}") from None


def check_grants(
    grants: GrantsDocument,
    views: Iterable[ViewDefinition],
    datasets: Iterable[str],
    *,
    source: str,
) -> None:
    """Raise ``InvalidGrantsError`` listing every disagreement between grants and views."""
    by_name = {v.name: v for v in views}
    known_datasets = set(datasets)
    problems: list[str] = []
    for name, entry in grants.views.items():
        view = by_name.get(name)
        if view is None:
            problems.append(f"views.{name}: unknown view (known: {', '.join(sorted(by_name))})")
        else:
            problems += _view_problems(name, entry, view)
    for dataset in grants.contributors:
        if dataset not in known_datasets:
            problems.append(f"contributors.{dataset}: no contract for this dataset")
    if problems:
        raise InvalidGrantsError(f"{source}: " + "; ".join(dict.fromkeys(problems)))


def _view_problems(name: str, entry: ViewGrants, view: ViewDefinition) -> list[str]:
    problems: list[str] = []
    if entry.dataset != view.dataset:
        problems.append(
            f"views.{name}.dataset: {entry.dataset!r} but the view reads {view.dataset!r}"
        )
    listed, actual = set(entry.dims), set(view.dimensions)
    if listed != actual:
        problems.append(
            f"views.{name}.dims: differ from the view's dimensions (missing: "
            f"{', '.join(sorted(actual - listed)) or '-'}; unknown: "
            f"{', '.join(sorted(listed - actual)) or '-'})"
        )
    seen: set[str] = set()
    for i, grant in enumerate(entry.grants):
        where = f"views.{name}.grants[{i}] ({grant.id})"
        if grant.id in seen:
            problems.append(f"{where}.id: duplicate grant id")
        seen.add(grant.id)
        problems += [
            f"{where}: {d!r} is not a dimension of view {name}"
            for d in [*grant.dims, *grant.row_filter]
            if d not in view.dimensions
        ]
    return problems


def check_grants_file(
    path: Path | None, views: Iterable[ViewDefinition], datasets: Iterable[str]
) -> None:
    """Start-up check of the grants file the policy engine will read (no file: nothing to do)."""
    if path is not None:
        check_grants(load_grants(path), views, datasets, source=str(path))
