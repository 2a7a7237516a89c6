"""Prometheus metrics of one gateway application (its own registry, so apps do not collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The gateway's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lecturecast_http_requests_total", "HTTP requests answered",
            ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram(
            "lecturecast_http_request_duration_seconds", "Time to answer an HTTP request",
            ["method", "route"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
        self.published = Counter(
            "lecturecast_kafka_messages_published_total", "Messages acknowledged by Kafka",
            ["topic"], registry=self.registry)
        self.rate_limited = Counter(
            "lecturecast_rate_limited_total", "Requests refused with 429 by a rate limit",
            ["route", "scope"], registry=self.registry)
        self.rate_limit_errors = Counter(
            "lecturecast_rate_limit_errors_total",
            "Requests let through unchecked because the rate limiter's Redis failed",
            ["route"], registry=self.registry)
        self.shed = Counter(
            "lecturecast_requests_shed_total",
            "Requests answered 503 at once because GATEWAY_MAX_IN_FLIGHT were in flight",
            ["route"], registry=self.registry)
        self.read_model_misses = Counter(
            "lecturecast_session_read_model_misses_total",
            "Requests whose session had no Redis entry, by the session actor's answer "
            "(live: written back; unknown: 409/403; unavailable: 503)",
            ["outcome"], registry=self.registry)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
