"""The web UI's pages, one module per area; each is a thin adapter over the features' services."""

from zhiben.web.pages import (
    accidents,
    assessment,
    auth,
    chain,
    dashboard,
    dualprevention,
    enforcement,
    enterprises,
    governance,
    hazard_sheets,
    hazards,
    insurance,
    monitoring,
    standards,
    tipoffs,
    training,
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
    governance.router,
    chain.router,
    accidents.router,
    tipoffs.router,
    training.router,
    insurance.router,
    assessment.router,
    dualprevention.router,
)
