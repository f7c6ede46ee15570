"""The web UI's pages, one module per area; each is a thin adapter over the features' services."""

from zhiben.web.pages import (
    assessment,
    auth,
    dashboard,
    enforcement,
    enterprises,
    hazard_sheets,
    hazards,
    monitoring,
    standards,
)

PAGE_ROUTERS = (
    auth.router,
    dashboard.router,
    hazard_sheets.router,  # before hazards: /hazards/import must not read as /hazards/{id}
    hazards.router,
    enterprises.router,
    monitoring.router,
    standards.router,
    enforcement.router,
    assessment.router,
)
