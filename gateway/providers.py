"""Components built once at start-up, each under a typed key (no grab-bag context type).

A feature declares ``KEY = Key[ItsService]("feature.service")`` in its ``deps.py``; the app's
lifespan adds the built component (``providers.add(KEY, service, close=service.close)``) and
the feature's provider reads it back with its own type (``providers.get(KEY)``). Nothing here
imports a feature, and nothing here needs FastAPI (the CLI builds components without it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

T = TypeVar("T")


class Key(Generic[T]):
    """A typed name for one component."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Key({self.name!r})"


class Providers:
    """The process-wide components of one app, closed in reverse order of registration."""

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}
        self._closers: list[Callable[[], None]] = []

    def add(self, key: Key[T], value: T, *, close: Callable[[], None] | None = None) -> T:
        if key.name in self._items:
            raise ValueError(f"{key!r} is already provided")
        self._items[key.name] = value
        if close is not None:
            self._closers.append(close)
        return value

    def get(self, key: Key[T]) -> T:
        try:
            return cast(T, self._items[key.name])
        except KeyError:
            raise LookupError(f"{key!r} was not built at start-up") from None

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()


def provided(request: HTTPConnection, key: Key[T]) -> T:
    """The component built at start-up under ``key`` (for a feature's provider function)."""
    providers: Providers = request.app.state.providers
    return providers.get(key)
