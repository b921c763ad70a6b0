"""POST /api/v1/notices (dry run and send), GET with figures, POST versions."""

from __future__ import annotations

from sqlalchemy import func, select

from maintenance.extensions import db
from maintenance.models import Notice, Reminder
from tests.services.notices.builders import (
    make_maker,
    make_other_maker,
    make_owner,
    make_units,
    recall_body,
    version_body,
)


def test_dry_run_stores_nothing_and_counts_owners_by_channel(ctx, client, token_for) -> None:
    user, model = make_maker()
    a, b = make_units(model, "SN0100", "SN0101")
    make_owner(a)
    make_owner(b, channel="sms", paused=True)
    response = client.post(
        "/api/v1/notices?dry_run=true", json=recall_body(), headers=token_for(user)
    )
    assert response.status_code == 200
    assert response.json["dry_run"] == {
        "units": 2,
        "units_reachable": 2,
        "units_without_owner": 0,
        "owners": 2,
        "owners_unreachable": 0,
        "by_channel": {"email": 1, "sms": 1},
    }
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_post_sends_get_shows_figures_versions_update(ctx, client, token_for) -> None:
    user, model = make_maker()
    [unit] = make_units(model, "SN0110")
    make_owner(unit)
    headers = token_for(user)
    created = client.post("/api/v1/notices", json=recall_body(), headers=headers)
    assert created.status_code == 201, created.json
    notice_id = created.json["id"]
    assert created.json["status"] == "sent" and created.json["figures"]["owners"] == 1
    shown = client.get(f"/api/v1/notices/{notice_id}", headers=headers).json
    assert shown["figures"]["waiting"] == 1 and shown["url"].endswith(f"/recalls/{notice_id}")
    update = client.post(
        f"/api/v1/notices/{notice_id}/versions",
        json=version_body(update="Parts arrived."),
        headers=headers,
    )
    assert update.status_code == 201 and [v["number"] for v in update.json["versions"]] == [1, 2]
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 2


def test_errors_are_located_and_softening_words_refused(ctx, client, token_for) -> None:
    user, _model = make_maker()
    body = recall_body(colour="red")
    body["texts"]["en"]["hazard"] = "As a precautionary measure we recall it."
    response = client.post("/api/v1/notices", json=body, headers=token_for(user))
    assert response.status_code == 422
    paths = {detail["path"] for detail in response.json["details"]}
    assert {"colour", "texts.en.hazard"} <= paths
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_another_manufacturers_notice_is_a_404_and_retailers_are_refused(
    ctx, client, token_for, make_user
) -> None:
    user, _model = make_maker()
    created = client.post("/api/v1/notices", json=recall_body(), headers=token_for(user))
    other, _other_model = make_other_maker()
    notice_id = created.json["id"]
    assert client.get(f"/api/v1/notices/{notice_id}", headers=token_for(other)).status_code == 404
    shop = make_user(role="retailer")
    assert client.get(f"/api/v1/notices/{notice_id}", headers=token_for(shop)).status_code == 403
