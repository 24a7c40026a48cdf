"""The /api/v1/ application: routers from each domain, problem+json errors, OpenAPI at /api/v1/openapi.json."""

from ninja import NinjaAPI

from paydesk.api import problems
from paydesk.api.auth import AUTH
from paydesk.api.platform import router as platform_router
from paydesk.api.tickets import router as tickets_router
from paydesk.api.transactions import router as transactions_router
from paydesk.api.webhooks import router as webhooks_router

api = NinjaAPI(
    title="Paydesk API",
    version="1",
    description="Payments support desk: ledger, tickets, webhooks. Errors are RFC 9457 problem details.",
    auth=AUTH,
    urls_namespace="api-v1",
)
problems.install(api)
# Webhooks first: Django tries URL patterns in order, and a webhook is the request that comes most often.
api.add_router("/webhooks", webhooks_router)
api.add_router("/transactions", transactions_router)
api.add_router("", tickets_router)  # /tickets, /incidents, /sla
api.add_router("/platform", platform_router)
