"""The Beacon claims of a verified access token, as a strict, frozen pydantic model.

Defends against tokens from an external issuer carrying claims of the wrong type or shape:
the org must be a slug, the sector one we know, roles a list of strings and scope a string,
else the token is refused. Registered claims (iss, aud, exp, ...) are checked by ``tokens``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from gateway.auth.errors import InvalidTokenError
from gateway.auth.principal import ORG_SLUG
from gateway.documents import Document

Sector = Literal["ngo", "financial", "business", "government", "law_enforcement", "academic",
                 "public"]  # fmt: skip


class AccessClaims(Document):
    """What a token says about its caller; roles outside ``ROLES`` are ignored, not refused."""

    sub: Annotated[str, Field(min_length=1, max_length=255)]
    org: Annotated[str, Field(pattern=ORG_SLUG.pattern)]
    sector: Sector
    roles: list[str] = Field(default_factory=list)
    scope: str | None = None
    purpose: Annotated[str, Field(max_length=200)] | None = None

    @classmethod
    def from_token(cls, claims: dict[str, Any]) -> AccessClaims:
        """Pick our claims out of the whole set (other issuers add their own) and check them."""
        ours = {k: claims[k] for k in cls.model_fields if k in claims}
        try:
            return cls.model_validate(ours)
        except ValidationError as exc:
            fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
            raise InvalidTokenError(f"invalid token claims: {', '.join(fields)}") from None
