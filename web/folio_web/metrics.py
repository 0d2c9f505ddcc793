"""Request metrics: a count by endpoint, method and status, and latency by endpoint.

Labels use the matched endpoint's name (`blog.post`), never the raw path, so a crawler
requesting random URLs cannot create new series.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "folio_http_requests_total", "Requests answered by the app", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "folio_http_request_duration_seconds",
    "Time the app took to answer, by endpoint",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def init_app(app: Flask) -> None:
    app.after_request(_observe)


def _observe(response: Response) -> Response:
    # Set by create_app's first before_request hook, which the request log uses too.
    started = g.get("request_started")
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
    return response
