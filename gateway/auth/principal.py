"""The authenticated caller, as every feature sees it (built only from a verified token)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.policy.contract import Subject

# Organisation slugs: lower-case DNS-label style (also guards claims from external issuers).
ORG_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")

ROLES = ("uploader", "analyst", "governance", "admin")
SECTORS = ("ngo", "financial", "business", "government", "law_enforcement", "academic", "public")

# What each role may do; a token's scopes are the union over its roles (and may be narrowed
# by the client's `scope` request parameter).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "uploader": frozenset({"batches:write", "batches:read"}),
    "analyst": frozenset({"views:read"}),
    "governance": frozenset({"views:read", "policies:read", "audit:read", "releases:write"}),
    "admin": frozenset({"orgs:admin", "audit:read", "policies:read", "releases:write"}),
}


def scopes_for_roles(roles: frozenset[str] | set[str] | list[str]) -> frozenset[str]:
    out: set[str] = set()
    for role in roles:
        out |= ROLE_SCOPES.get(role, frozenset())
    return frozenset(out)


@dataclass(frozen=True)
class Principal:
    subject: str  # the OAuth2 client id (or external `sub`)
    org: str  # organisation slug
    sector: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    purpose: str | None = None

    def has_scopes(self, *scopes: str) -> bool:
        return all(s in self.scopes for s in scopes)

    def policy_subject(self) -> Subject:
        """The ``input.subject`` the policy engine receives."""
        return Subject(
            org=self.org, sector=self.sector, roles=tuple(sorted(self.roles)), purpose=self.purpose
        )
