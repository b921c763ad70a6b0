"""`maintenance notices ...`: an admin dry-runs, sends, updates, shows and closes a recall."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from maintenance.models import AuditEvent, Notice, Reminder
from maintenance.services.accounts import create_user
from tests.conftest import PASSWORD
from tests.services.notices.builders import (
    make_maker,
    make_owner,
    make_units,
    recall_body,
    version_body,
)


def test_an_admin_runs_a_recall_from_the_command_line(app, ctx, db, tmp_path: Path) -> None:
    _user, model = make_maker()
    [unit] = make_units(model, "SN0100")
    make_owner(unit)
    create_user("admin@example.com", "admin", "Coordinator", PASSWORD)
    body = tmp_path / "recall.json"
    body.write_text(json.dumps(recall_body()))
    cli = app.test_cli_runner()
    email = ["--email", "admin@example.com"]

    dry = cli.invoke(args=["notices", "create", str(body), *email, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["by_channel"] == {"email": 1, "sms": 0}
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0

    sent = cli.invoke(args=["notices", "create", str(body), *email, "--send"])
    assert sent.exit_code == 0 and sent.output.endswith(": sent\n"), sent.output
    notice_id = db.session.scalar(select(Notice.id))
    update = tmp_path / "update.json"
    update.write_text(json.dumps(version_body(update="Parts are in stock.")))
    assert (
        cli.invoke(args=["notices", "version", str(notice_id), str(update), *email]).exit_code == 0
    )
    shown = cli.invoke(args=["notices", "show", str(notice_id), *email]).output
    assert "version 2" in shown and "owners\t1" in shown
    serials = cli.invoke(args=["notices", "serials", str(notice_id), *email]).output
    assert "SN0100" in serials and "@" not in serials
    assert cli.invoke(args=["notices", "close", str(notice_id), *email]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 2
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["notice.create", "notice.send", "notice.change", "notice.close"]
    assert all(e.actor == "admin@example.com" for e in db.session.scalars(select(AuditEvent)))


def test_errors_name_the_field_and_store_nothing(app, ctx, db, tmp_path: Path) -> None:
    make_maker()
    create_user("admin@example.com", "admin", "Coordinator", PASSWORD)
    body = recall_body()
    body["texts"]["nl"]["hazard"] = "Uit voorzorg roepen wij terug."
    path = tmp_path / "recall.json"
    path.write_text(json.dumps(body))
    result = app.test_cli_runner().invoke(
        args=["notices", "create", str(path), "--email", "admin@example.com"]
    )
    assert result.exit_code == 1
    assert "texts.nl.hazard" in result.output
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
