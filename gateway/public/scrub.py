"""The free-text scrubber the public channel uses: the connector's, behind one small adapter.

Defends against a reporter's own (or a third party's) contact details, account numbers and
names reaching the store. ``connectors.scrub.scrub_text`` is the one implementation shared with
partner uploads; until that module is present in this checkout a conservative fallback removes
e-mail addresses, URLs and long digit runs (phone, card and account numbers).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Scrubbed:
    text: str
    removed: dict[str, int] = field(default_factory=dict)


class _Result(Protocol):
    text: str
    removed: dict[str, int]


Scrubber = Callable[[str], Scrubbed]

_FALLBACK = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("url", re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)),
    ("number", re.compile(r"\+?\d(?:[\s./-]?\d){6,}")),
)


def _fallback(text: str) -> Scrubbed:
    removed: dict[str, int] = {}
    for kind, pattern in _FALLBACK:
        text, n = pattern.subn(f"[{kind} removed]", text)
        if n:
            removed[kind] = n
    return Scrubbed(text, removed)


def build_scrubber(deny_names: Iterable[str] = ()) -> Scrubber:
    """``connectors.scrub.scrub_text`` when installed, else the fallback (same contract)."""
    names = tuple(deny_names)
    try:
        module = importlib.import_module("connectors.scrub")
    except ImportError:
        return _fallback
    scrub_text: Callable[..., _Result] = module.scrub_text

    def _scrub(text: str) -> Scrubbed:
        result = scrub_text(text, deny_names=names)
        return Scrubbed(result.text, dict(result.removed))

    return _scrub
