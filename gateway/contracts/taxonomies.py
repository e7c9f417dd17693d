"""Named code lists a contract may reference with ``allowed_taxonomy`` (ISO 3166 via pycountry).

``iso_3166_1_alpha2`` is every officially assigned alpha-2 code plus XK (Kosovo: user-assigned,
but used by the UN and humanitarian data standards). ``iso_3166_2`` is every current subdivision
code; older codes some sources still send (e.g. GT-GU, PL-MZ before their 2021/2018 renumbering)
are not in it, so the shipped contracts keep a pattern on admin1 instead.
"""

from __future__ import annotations

from typing import Final

import pycountry

_USER_ASSIGNED: Final = ("XK",)

ISO_3166_1_ALPHA2: Final[tuple[str, ...]] = (
    *sorted(c.alpha_2 for c in pycountry.countries),
    *_USER_ASSIGNED,
)
ISO_3166_2: Final[tuple[str, ...]] = tuple(sorted({s.code for s in pycountry.subdivisions}))

TAXONOMIES: Final[dict[str, tuple[str, ...]]] = {
    "iso_3166_1_alpha2": ISO_3166_1_ALPHA2,
    "iso_3166_2": ISO_3166_2,
}
