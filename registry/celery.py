"""The Celery application, configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery
from celery.signals import celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.local")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
def wait_out_a_hung_broker(conf, **_kwargs) -> None:
    """A worker keeps no broker read timeout (a web process does: settings). An acknowledgement
    that timed out stays counted against the prefetch limit, so the worker never fetched again
    after the broker came back (issue 21's frozen-broker drill); without the timeout it waits
    for the network and carries on. Connecting still times out."""
    options = dict(conf.broker_transport_options)
    options.pop("socket_timeout", None)
    conf["CELERY_BROKER_TRANSPORT_OPTIONS"] = options  # the key as read from Django settings
