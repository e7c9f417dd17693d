"""The ``Source`` protocol and the registry that picks one by the profile's ``source.kind``.

A source is anything that yields Arrow record batches of one schema: a file today (CSV,
Parquet), a SQL query, a spreadsheet or a feed tomorrow. A new kind is one module with a class
that satisfies ``Source`` and a ``register_source(kind, factory)`` call; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyarrow as pa

from connectors.errors import SourceError

SourceOptions = Mapping[str, str | int | float | bool]


@runtime_checkable
class Source(Protocol):
    """A readable partner source: its kind, its Arrow schema and a stream of record batches."""

    @property
    def kind(self) -> str: ...

    @property
    def schema(self) -> pa.Schema: ...

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Record batches in source order, each of ``schema``; may be read once."""
        ...


SourceFactory = Callable[[str, SourceOptions], Source]
"""Builds a source from its location (a path today; a DSN or URL later) and profile options."""

_REGISTRY: dict[str, SourceFactory] = {}
_SUFFIXES: dict[str, str] = {}


def register_source(kind: str, factory: SourceFactory, *, suffixes: tuple[str, ...] = ()) -> None:
    """Make ``kind`` available to profiles; ``suffixes`` let a bare file path imply the kind."""
    if kind in _REGISTRY and _REGISTRY[kind] is not factory:
        raise ValueError(f"source kind {kind!r} is already registered")
    _REGISTRY[kind] = factory
    for suffix in suffixes:
        _SUFFIXES[suffix.lower()] = kind


def source_kinds() -> list[str]:
    """Registered kinds, sorted."""
    return sorted(_REGISTRY)


def open_source(kind: str, location: str | Path, options: SourceOptions | None = None) -> Source:
    """The source of ``kind`` at ``location``; an unknown kind names the known ones."""
    factory = _REGISTRY.get(kind)
    if factory is None:
        known = ", ".join(source_kinds()) or "none"
        raise SourceError(f"unknown source kind {kind!r} (known: {known})")
    return factory(str(location), options or {})


def kind_for_path(path: str | Path) -> str:
    """The kind a file's suffix implies, for profiles that do not name one."""
    suffix = Path(path).suffix.lower()
    kind = _SUFFIXES.get(suffix)
    if kind is None:
        known = ", ".join(sorted(_SUFFIXES))
        raise SourceError(
            f"{path}: unsupported source format {suffix!r} (known: {known}); "
            "or set source.kind for the dataset in the profile"
        )
    return kind


def read_all(source: Source) -> pa.Table:
    """Collect a source into one table (the mapping and local validation see whole batches)."""
    return pa.Table.from_batches(list(source.batches()), schema=source.schema)


def int_option(options: SourceOptions, name: str, default: int) -> int:
    """A positive integer option (``SourceError`` naming it otherwise)."""
    value = options.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SourceError(f"source option {name} must be a positive integer")
    return value


def str_option(options: SourceOptions, name: str) -> str | None:
    value = options.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise SourceError(f"source option {name} must be a non-empty string")
    return value


def no_other_options(kind: str, options: SourceOptions, allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise SourceError(f"unknown {kind} source option(s): {', '.join(unknown)}")
