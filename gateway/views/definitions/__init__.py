"""View definitions (one YAML file per view in this folder) and the registry that loads them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from gateway.views.errors import InvalidViewDefinitionError, UnknownViewError
from gateway.views.model import ViewDefinition, parse_view
from gateway.views.repository import QueryEngine

if TYPE_CHECKING:
    from gateway.contracts.registry import ContractRegistry

__all__ = ["ViewRegistry"]


class ViewRegistry:
    """All view definitions, validated at start-up; also owns the view query engine."""

    def __init__(self, views: dict[str, ViewDefinition]) -> None:
        self._views = dict(sorted(views.items()))
        self.engine = QueryEngine()

    @classmethod
    def load(cls, directory: Path, contracts: ContractRegistry) -> ViewRegistry:
        """Every ``*.yaml`` in ``directory``, each bound to the contract it names."""
        directory = Path(directory)
        if not directory.is_dir():
            raise InvalidViewDefinitionError(f"views folder not found: {directory}")
        views: dict[str, ViewDefinition] = {}
        for path in sorted(directory.glob("*.yaml")):
            try:
                with path.open(encoding="utf-8") as fh:
                    raw = yaml.safe_load(fh)
            except yaml.YAMLError as exc:
                raise InvalidViewDefinitionError(f"{path}: not valid YAML ({exc})") from None
            view = parse_view(raw, source=str(path), contracts=contracts)
            if view.name != path.stem:
                raise InvalidViewDefinitionError(f"{path}: name must match the file name")
            views[view.name] = view
        if not views:
            raise InvalidViewDefinitionError(f"no view definitions in {directory}")
        return cls(views)

    def get(self, name: str) -> ViewDefinition:
        view = self._views.get(name)
        if view is None:
            raise UnknownViewError(f"there is no view named {name[:64]!r}")
        return view

    def all(self) -> list[ViewDefinition]:
        return list(self._views.values())

    def close(self) -> None:
        self.engine.close()
