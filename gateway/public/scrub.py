"""The free-text scrubber of the public channel: the connector's, behind one small adapter.

Defends against a reporter's own (or a third party's) contact details, account numbers,
identity numbers and names reaching the store. ``connectors.scrub.scrub_text`` is the one
implementation shared with partner uploads; phone numbers in national format are read with the
reporter's chosen country as their region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from connectors.scrub import scrub_text


@dataclass(frozen=True)
class Scrubbed:
    text: str
    removed: dict[str, int] = field(default_factory=dict)


Scrubber = Callable[[str, str], Scrubbed]  # (text, ISO 3166-1 country) -> scrubbed


def build_scrubber(deny_names: Iterable[str] = ()) -> Scrubber:
    names = tuple(deny_names)

    def _scrub(text: str, country: str) -> Scrubbed:
        result = scrub_text(text, deny_names=names, phone_region=country)
        return Scrubbed(result.text, dict(result.removed))

    return _scrub
