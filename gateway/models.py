"""Imports every feature's SQLModel tables so metadata (and Alembic) sees them all."""

from gateway.audit import models as audit_models  # noqa: F401
from gateway.auth import models as auth_models  # noqa: F401
from gateway.ingest import models as ingest_models  # noqa: F401
from gateway.releases import models as releases_models  # noqa: F401
from gateway.views import models as views_models  # noqa: F401
