"""Console URLs of the exception inbox (included from ``paydesk.config.urls`` under ``/reconciliation/``)."""

from django.urls import path

from paydesk.reconciliation import views

app_name = "reconciliation"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("discrepancies/<int:discrepancy_id>/", views.detail, name="detail"),
    path("discrepancies/<int:discrepancy_id>/assign", views.assign, name="assign"),
    path("discrepancies/<int:discrepancy_id>/comment", views.comment, name="comment"),
    path("discrepancies/<int:discrepancy_id>/resolve", views.resolve, name="resolve"),
]
