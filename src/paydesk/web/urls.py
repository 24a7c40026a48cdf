from django.contrib.auth import views as auth_views
from django.urls import path

from paydesk.reports import views as report_views
from paydesk.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("reports/<slug:name>.<str:fmt>", report_views.report_download, name="report_download"),
]
