"""/metrics: requests by route and status, the outbox read at scrape time, dispatch figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from maintenance.models import Owner, Reminder
from maintenance.ops import metrics


def scrape(client: FlaskClient) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics as {(name, labels): value}."""
    response = client.get("/metrics", headers={"Authorization": "Bearer test-metrics-token"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def requests_to(samples: dict, route: str, status: str) -> float:
    labels = frozenset({"method": "GET", "route": route, "status": status}.items())
    return samples.get(("maintenance_http_requests_total", labels), 0.0)


def test_a_request_is_counted_under_its_route_not_its_path(client: FlaskClient) -> None:
    before = scrape(client)
    assert client.get("/01/08712345678906").status_code in {200, 404}
    status = str(client.get("/01/08712345678906").status_code)
    after = scrape(client)
    route = "/01/<gtin>"
    assert requests_to(after, route, status) - requests_to(before, route, status) == 2
    assert not any("08712345678906" in str(labels) for _, labels in after)
    latency = (
        "maintenance_http_request_duration_seconds_count",
        frozenset({"method": "GET", "route": route}.items()),
    )
    assert after[latency] - before.get(latency, 0) == 2


def test_unknown_paths_share_one_series(client: FlaskClient) -> None:
    before = scrape(client)
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")
    after = scrape(client)
    assert requests_to(after, "unmatched", "404") - requests_to(before, "unmatched", "404") == 2


def test_outbox_figures_are_read_from_the_database(client: FlaskClient, db) -> None:
    now = datetime.now(UTC)
    owner = Owner(email="a@example.com")
    db.session.add(owner)
    db.session.flush()
    for n, (status, waited) in enumerate([("pending", 3600), ("pending", -60), ("sent", 7200)]):
        db.session.add(
            Reminder(
                dedupe_key=f"test:{n}",
                owner_id=owner.id,
                channel="email",
                send_on=date(2025, 3, 10),
                status=status,
                next_attempt_at=now - timedelta(seconds=waited),
            )
        )
    db.session.commit()
    samples = scrape(client)
    state = lambda s: ("maintenance_reminders", frozenset({"state": s, "channel": "email"}.items()))  # noqa: E731
    assert samples[state("pending")] == 2
    assert samples[state("sent")] == 1
    # The due pending one has waited an hour; the sent one and the future one do not count.
    oldest = samples[("maintenance_outbox_oldest_due_seconds", frozenset())]
    assert 3600 <= oldest < 3600 + 600


def test_dispatch_figures_are_exposed(client: FlaskClient) -> None:
    before = scrape(client)
    metrics.observe_dispatch(0.3)
    metrics.count_failure("sms", "21211")
    after = scrape(client)
    count = ("maintenance_dispatch_batch_duration_seconds_count", frozenset())
    assert after[count] - before.get(count, 0) == 1
    failures = (
        "maintenance_delivery_failures_total",
        frozenset({"channel": "sms", "reason": "21211"}.items()),
    )
    assert after[failures] - before.get(failures, 0) == 1


def test_metrics_need_the_bearer_token(client: FlaskClient) -> None:
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"maintenance_" not in refused.data
    wrong = client.get("/metrics", headers={"Authorization": "Bearer test-metrics-tokeX"})
    assert wrong.status_code == 401
    # Health stays open for load balancers and orchestrators, which carry no secrets.
    assert client.get("/healthz").status_code == 200


def test_metrics_are_off_without_a_token(make_app) -> None:
    app = make_app(migrate_to="head", METRICS_TOKEN="")
    response = app.test_client().get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404


def test_metrics_labels_never_carry_a_token(client: FlaskClient) -> None:
    token = "eyJvIjo0Mn0.Z3x9Qw.s3cr3t-Signature_42"
    client.get(f"/a/done/{token}")
    client.get(f"/calendar/{token}.ics/x")  # matches no route
    response = client.get("/metrics", headers={"Authorization": "Bearer test-metrics-token"})
    body = response.get_data(as_text=True)
    assert token not in body
    assert 'route="/a/done/<token>"' in body
