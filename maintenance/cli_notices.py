"""`maintenance notices ...`: recalls and service notices for an admin at the command line."""

# Every change is made as a named staff user (--email), so the audit log says who did it.

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from maintenance.clock import now_utc


def _user(email: str) -> Any:
    from maintenance.extensions import db
    from maintenance.models import User

    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.role not in ("admin", "manufacturer"):
        raise click.ClickException(f"no admin or manufacturer with the email {email}")
    return user


def _notice(notice_id: int, email: str) -> Any:
    from maintenance.services.notices.authoring import NoticeNotFound, get_notice_for

    try:
        return get_notice_for(_user(email), notice_id)
    except NoticeNotFound:
        raise click.ClickException(f"there is no notice {notice_id} for {email}") from None


def _body(path: str) -> dict[str, Any]:
    try:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    if not isinstance(body, dict):
        raise click.ClickException(f"{path}: not a JSON object")
    return body


def _fail_on_problems(exc: Any) -> None:
    for problem in exc.problems:
        click.echo(f"{problem.path}: {problem.message}", err=True)
    raise click.ClickException(f"{len(exc.problems)} errors; nothing was stored")


@click.group("notices")
def notices_group() -> None:
    """Safety recalls and service notices (see docs/recalls.md)."""


@notices_group.command("list")
def notices_list() -> None:
    """Every notice: id, kind, status, reference, GTINs."""
    from maintenance.extensions import db
    from maintenance.models import Notice

    for notice in db.session.scalars(select(Notice).order_by(Notice.id)):
        gtins = ",".join(row.gtin for row in notice.gtins)
        click.echo(f"{notice.id}\t{notice.kind}\t{notice.status}\t{notice.reference}\t{gtins}")


@notices_group.command("create")
@click.argument("path")
@click.option("--email", required=True, help="The staff member who writes it.")
@click.option("--dry-run", is_flag=True, help="Only say whom it would reach.")
@click.option("--send", "send_now", is_flag=True, help="Send it at once (else a draft).")
def notices_create(path: str, email: str, dry_run: bool, send_now: bool) -> None:
    """Create a notice from a JSON file shaped as the API's POST /api/v1/notices body."""
    from maintenance.services.notices import authoring
    from maintenance.services.notices.texts import NoticeInvalid

    user = _user(email)
    try:
        given = authoring.read_notice(_body(path), user)
    except NoticeInvalid as exc:
        _fail_on_problems(exc)
    if dry_run:
        click.echo(json.dumps(authoring.dry_run(given.selection).as_json(), indent=2))
        return
    notice = authoring.create_notice(given, user, now_utc())
    if send_now:
        authoring.send_notice(notice, user, now_utc())
    click.echo(f"notice {notice.id}: {notice.status}")


@notices_group.command("send")
@click.argument("notice_id", type=int)
@click.option("--email", required=True)
def notices_send(notice_id: int, email: str) -> None:
    """Send a draft to every reachable owner of its units."""
    from maintenance.services.notices import authoring

    try:
        result = authoring.send_notice(_notice(notice_id, email), _user(email), now_utc())
    except authoring.NoticeConflict as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"notice {notice_id} sent: {result.messages} messages queued so far")


@notices_group.command("version")
@click.argument("notice_id", type=int)
@click.argument("path")
@click.option("--email", required=True)
def notices_version(notice_id: int, path: str, email: str) -> None:
    """Publish an update (texts, remedies, contact as JSON) to the same owners."""
    from maintenance.services.notices import authoring
    from maintenance.services.notices.texts import NoticeInvalid

    notice = _notice(notice_id, email)
    try:
        version = authoring.add_version(notice, _body(path), _user(email), now_utc())
    except NoticeInvalid as exc:
        _fail_on_problems(exc)
    except authoring.NoticeConflict as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"notice {notice_id}: version {version.number} queued")


@notices_group.command("close")
@click.argument("notice_id", type=int)
@click.option("--email", required=True)
def notices_close(notice_id: int, email: str) -> None:
    """Close a notice: off the pages, no longer sent to new owners."""
    from maintenance.services.notices import authoring

    try:
        authoring.close_notice(_notice(notice_id, email), _user(email), now_utc())
    except authoring.NoticeConflict as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"notice {notice_id} closed")


@notices_group.command("show")
@click.argument("notice_id", type=int)
@click.option("--email", required=True)
def notices_show(notice_id: int, email: str) -> None:
    """A notice's status and figures (every number: this is the admin's own view)."""
    from maintenance.services.notices.figures import notice_figures

    notice = _notice(notice_id, email)
    click.echo(
        f"notice {notice.id} ({notice.kind}, {notice.status}), version {notice.current.number}"
    )
    for name, value in notice_figures(notice).as_json().items():
        click.echo(f"{name}\t{value}")


@notices_group.command("serials")
@click.argument("notice_id", type=int)
@click.option("--email", required=True)
def notices_serials(notice_id: int, email: str) -> None:
    """The affected serials with their status as CSV (no personal data)."""
    from maintenance.services.notices.figures import serials_csv

    click.echo(serials_csv(_notice(notice_id, email)), nl=False)


@notices_group.command("fan-out")
def notices_fan_out() -> None:
    """Queue the messages of sent notices that are not all queued yet (the scheduler does this)."""
    from maintenance.services.notices.fanout import fan_out

    result = fan_out(now_utc())
    click.echo(f"{result.units} units, {result.messages} messages queued")
