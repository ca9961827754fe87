"""``GET /metrics``: Prometheus metrics for operators, behind a token or loopback-only.

What is exported:
- request latency by view and method (django-prometheus middleware:
  ``django_http_requests_latency_seconds_by_view_method``) and its other request counters;
- Celery queue depth (``chirpworks_celery_queue_messages{queue}``), read from the broker at scrape
  time;
- job duration by pipeline stage (``chirpworks_job_stage_seconds{stage}``, ``meetings.metrics``);
- reconciliation lag and pending recording downloads (``calls.metrics``), read from the database
  at scrape time.

Several processes (gunicorn workers, Celery children on this host) share one set of figures
when ``PROMETHEUS_MULTIPROC_DIR`` names a directory they all write (prometheus-client's
multiprocess mode); otherwise a scrape sees the answering process only.
"""

import hmac
import logging
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from kombu.exceptions import ChannelError
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from chirpworks.exceptions import json_not_found

logger = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "::1"}


def metrics_allowed(request: HttpRequest) -> bool:
    """With ``METRICS_TOKEN`` set, only ``Authorization: Bearer <token>``; without it, only
    loopback clients (a scraper on the same host or a sidecar), never the Internet."""
    token = settings.METRICS_TOKEN
    if token:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
    return request.META.get("REMOTE_ADDR") in LOOPBACK


class CeleryQueueCollector:
    """Messages waiting in each Celery queue, asked of the broker at scrape time."""

    def collect(self):
        from chirpworks.celery import app

        gauge = GaugeMetricFamily(
            "chirpworks_celery_queue_messages",
            "Messages waiting in a Celery queue (not yet taken by a worker)",
            labels=["queue"],
        )
        up = 1
        try:
            with app.connection_for_read() as conn:
                channel = conn.default_channel
                for queue in settings.METRICS_CELERY_QUEUES:
                    try:
                        _, messages, _ = channel.queue_declare(queue=queue, passive=True)
                    except ChannelError:  # never declared, or (Redis) an empty list: no key
                        messages = 0
                    gauge.add_metric([queue], messages)
        except Exception as exc:  # an unreachable broker is reported, not raised
            logger.warning("Celery queue depth unavailable: %s", exc.__class__.__name__)
            up = 0
        yield GaugeMetricFamily(
            "chirpworks_celery_broker_up", "Whether the broker answered the scrape", value=up
        )
        if up:
            yield gauge


def _scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    for path in settings.METRICS_COLLECTORS:
        registry.register(import_string(path)())
    return registry


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return json_not_found(request)  # as if there were nothing here
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    body += generate_latest(_scrape_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
