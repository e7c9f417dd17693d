"""Base of every parsed document (contracts, views, grants) and one readable error format.

Defends against documents that half-parse: every model is strict, frozen and refuses unknown
keys, and a failure names the file and the field path (never echoes long input back).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

Locator = Callable[[Sequence[int | str]], str]


class Document(BaseModel):
    """Strict types, frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def describe(exc: ValidationError, where: Locator | None = None, *, top: str = "document") -> str:
    """One line per problem: ``<where the field is>: <what is wrong>`` (extra keys grouped)."""
    locate = where or (lambda loc: dotted(loc) or top)
    lines: list[str] = []
    extra: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind in ("extra_forbidden", "missing"):
            group = extra if kind == "extra_forbidden" else missing
            group.setdefault(locate(loc[:-1]), []).append(str(loc[-1]))
            continue
        lines.append(_line(locate, loc, err))
    lines += [f"{w}: unknown key(s) {', '.join(sorted(keys))}" for w, keys in extra.items()]
    lines += [f"{w}: missing key(s) {', '.join(sorted(keys))}" for w, keys in missing.items()]
    return "; ".join(dict.fromkeys(lines))


def dotted(loc: Sequence[int | str]) -> str:
    """``columns[2].constraints`` style location (empty for the top level)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line(locate: Locator, loc: tuple[int | str, ...], err: Any) -> str:
    kind, msg, value = err["type"], err["msg"], err.get("input")
    if kind == "value_error":
        return f"{locate(loc)}: {msg.removeprefix('Value error, ')}"
    if loc and loc[-1] == "[key]":  # a mapping key, e.g. a dimension name
        return _key_line(locate, loc, err)
    # Name the field in the message, the way a reader looks for it.
    fields = [p for p in loc if isinstance(p, str) and not p.startswith(("function-", "list["))]
    field = fields[-1] if fields else "value"
    parent = locate(loc[: _last_str(loc)])
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{parent}: {field} {_short(value)} is not one of {expected.replace(' or ', ', ')}"
    if kind == "string_pattern_mismatch":
        return f"{parent}: {field} {_short(value)} must match {_pattern(err)}"
    if kind == "bool_type":
        return f"{parent}: {field} must be true or false"
    if kind == "too_short" and isinstance(value, list | tuple):
        return f"{parent}: {field} must be a non-empty list"
    if kind == "too_short" and isinstance(value, dict):
        return f"{parent}: {field} must be a non-empty mapping"
    if loc and isinstance(loc[-1], int):  # an item of a list of strings
        return f"{parent}: {field} values must be non-empty strings (quote them)"
    if kind in ("model_type", "dict_type"):
        return f"{parent}: {field} must be a mapping"
    return f"{parent}: {field}: {msg}"


def _key_line(locate: Locator, loc: tuple[int | str, ...], err: Any) -> str:
    where, key = locate(loc[:-2]), _short(loc[-2])
    if err["type"] == "literal_error":  # a key from a closed set, e.g. a harm reason
        expected = err.get("ctx", {}).get("expected", "").replace(" or ", ", ")
        return f"{where}: key {key} is not one of {expected}"
    return f"{where}: key {key} must match {_pattern(err)}"


def _pattern(err: Any) -> str:
    return str(err.get("ctx", {}).get("pattern", ""))


def _last_str(loc: tuple[int | str, ...]) -> int:
    for i in range(len(loc) - 1, -1, -1):
        if isinstance(loc[i], str):
            return i
    return 0


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
