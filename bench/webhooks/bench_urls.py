"""Paydesk's URLs plus ``/bench/empty``: a Django view that does nothing, behind the same middleware stack."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from paydesk.config.urls import urlpatterns as paydesk_urlpatterns


@csrf_exempt
def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"received": true}', content_type="application/json")


urlpatterns = [path("bench/empty", empty), *paydesk_urlpatterns]
