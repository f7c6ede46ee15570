"""The web UI's pages, one module per area; each is a thin adapter over the features' services."""

from zhiben.web.pages import auth, dashboard, enforcement, enterprises, hazards, monitoring

PAGE_ROUTERS = (
    auth.router,
    dashboard.router,
    hazards.router,
    enterprises.router,
    monitoring.router,
    enforcement.router,
)
