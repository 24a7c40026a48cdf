"""Settings for the webhook bench: Paydesk's own settings plus a URLConf with an empty view as the ceiling."""

from paydesk.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
