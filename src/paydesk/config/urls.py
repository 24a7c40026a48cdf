"""URL map: the Django admin (configuration), the REST API under /api/v1/ and the agent console."""

from django.contrib import admin
from django.urls import include, path

from paydesk.api.v1 import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("reconciliation/", include("paydesk.reconciliation.urls")),
    path("", include("paydesk.web.urls")),
]
