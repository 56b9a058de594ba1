"""Every table of the schema, registered on one metadata (what Alembic and the hub work from)."""

from mentalspace_desktop.store import (  # noqa: F401  (register their tables)
    alert_models,
    compliance_models,
    hub_models,
    messaging_models,
    reminder_models,
    scheduling_models,
    sync_models,
)
from mentalspace_desktop.store.models import Base

metadata = Base.metadata
