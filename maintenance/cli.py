"""The `maintenance` console script: the Flask CLI with the service's own commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask
from flask.cli import FlaskGroup

from maintenance.config import ROOT

if TYPE_CHECKING:
    from maintenance.models import Organisation


def _create_app() -> Flask:
    from maintenance import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """Proactive appliance maintenance: QR labels, protocols and reminders."""


def register(app: Flask) -> None:
    """Attach the command groups to the app (so `flask --app wsgi ...` has them too)."""
    app.cli.add_command(protocols_group)
    app.cli.add_command(users_group)
    app.cli.add_command(tokens_group)
    app.cli.add_command(organisations_group)
    from maintenance.cli_partners import partners_group

    app.cli.add_command(partners_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(dispatch_command)
    from maintenance.cli_notices import notices_group

    app.cli.add_command(notices_group)
    from maintenance.ops.check import check_command

    app.cli.add_command(check_command)
    from maintenance.demo.activity import generate_activity_command

    app.cli.add_command(generate_activity_command)


def _require_valid_settings() -> None:
    """Stop a command that serves or sends when a setting would break every message."""
    from flask import current_app

    from maintenance.ops.check import SettingError, require_valid_settings

    try:
        require_valid_settings(current_app.config)
    except SettingError as error:
        raise click.ClickException(f"{error} (see `maintenance check`)") from None


def _protocol_files(paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml"), *path.glob("*.json")]))
        else:
            files.append(path)
    return files


@click.group("protocols")
def protocols_group() -> None:
    """Validate and import maintenance protocols."""


@protocols_group.command("validate")
@click.argument("paths", nargs=-1, required=True)
def protocols_validate(paths: tuple[str, ...]) -> None:
    """Check protocol files; print one error a line as file:line: path: message."""
    from maintenance.services.protocols import validate_file

    failed = False
    for path in _protocol_files(paths):
        errors = validate_file(path)
        for error in errors:
            click.echo(str(error))
        failed = failed or bool(errors)
        if not errors:
            click.echo(f"{path}: ok", err=True)
    sys.exit(1 if failed else 0)


@protocols_group.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option("--organisation", help="Manufacturer to publish for; default: the library.")
def protocols_import(paths: tuple[str, ...], organisation: str | None) -> None:
    """Validate and publish protocol files; nothing is stored when any file has errors."""
    from maintenance.services.accounts import get_or_create_organisation
    from maintenance.services.protocols import ProtocolInvalid, load_protocol
    from maintenance.services.protocols.publish import (
        PublishConflict,
        PublishRefused,
        publish_protocol,
    )

    files = _protocol_files(paths)
    documents = []
    failed = False
    for path in files:
        try:
            documents.append((path, load_protocol(path.read_bytes(), filename=str(path))))
        except ProtocolInvalid as exc:
            failed = True
            for error in exc.errors:
                click.echo(str(error))
    if failed:
        sys.exit(1)
    org = get_or_create_organisation(organisation, "manufacturer") if organisation else None
    for path, document in documents:
        try:
            result = publish_protocol(document, organisation=org)
        except PublishRefused as exc:
            if not exc.errors:
                raise click.ClickException(f"{path}: {exc}") from None
            for error in exc.errors:  # already file:line: path: message
                click.echo(str(error))
            sys.exit(1)
        except PublishConflict as exc:
            raise click.ClickException(f"{path}: {exc}") from None
        state = "published" if result.created else "unchanged"
        click.echo(
            f"{path}: {state} as {result.version.protocol.category} v{result.version.number}"
        )


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["manufacturer", "retailer", "admin", "partner"])
)
@click.option("--organisation", required=True, help="Created when it does not exist yet.")
@click.option("--password", help="Asked for when omitted; leave empty for an API-only user.")
def users_create(email: str, role: str, organisation: str, password: str | None) -> None:
    """Create a staff user in an organisation."""
    from maintenance.services.accounts import AccountError, create_user

    if password is None:
        password = click.prompt(
            "Password (empty: API only)", hide_input=True, default="", show_default=False
        )
    try:
        user = create_user(email, role, organisation, password or None)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {user.role} {user.email} in {user.organisation.name}")


@click.group("organisations")
def organisations_group() -> None:
    """Organisations: GS1 company prefixes and GTIN assignments."""


def _manufacturer_named(name: str) -> Organisation:
    from sqlalchemy import select

    from maintenance.extensions import db
    from maintenance.models import Organisation

    organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        raise click.ClickException(f"no organisation named {name!r}")
    return organisation


@organisations_group.command("prefixes")
@click.argument("organisation")
@click.argument("prefixes", nargs=-1)
@click.option("--clear", is_flag=True, help="Remove every prefix of the organisation.")
def organisations_prefixes(organisation: str, prefixes: tuple[str, ...], clear: bool) -> None:
    """Show, or replace, a manufacturer's GS1 company prefixes (as in a GTIN-13)."""
    from maintenance.services.gs1_prefixes import (
        PrefixError,
        assignments_of,
        prefixes_of,
        set_prefixes,
    )

    org = _manufacturer_named(organisation)
    if prefixes or clear:
        if prefixes and clear:
            raise click.UsageError("give prefixes or --clear, not both")
        try:
            set_prefixes(org, prefixes)
        except PrefixError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{organisation}: prefixes {', '.join(prefixes_of(org)) or '(none)'}")
    assigned = assignments_of(org)
    if assigned:
        click.echo(f"{organisation}: assigned GTINs {', '.join(assigned)}")


@organisations_group.command("assign-gtin")
@click.argument("organisation")
@click.argument("gtin")
def organisations_assign_gtin(organisation: str, gtin: str) -> None:
    """Assign one GTIN to a manufacturer, as an exception to the prefixes."""
    from maintenance.services.gs1_prefixes import PrefixError, assign_gtin

    try:
        assigned = assign_gtin(_manufacturer_named(organisation), gtin)
    except PrefixError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{organisation}: GTIN {assigned} assigned")


@organisations_group.command("unassign-gtin")
@click.argument("gtin")
def organisations_unassign_gtin(gtin: str) -> None:
    """Remove the assignment of a GTIN (models already made for it stay)."""
    from maintenance.services.gs1_prefixes import PrefixError, unassign_gtin

    try:
        removed = unassign_gtin(gtin)
    except PrefixError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"GTIN {gtin}: {'assignment removed' if removed else 'was not assigned'}")


@click.group("tokens")
def tokens_group() -> None:
    """API bearer tokens."""


@tokens_group.command("create")
@click.option("--email", required=True)
def tokens_create(email: str) -> None:
    """Issue an API token for a staff user; it is shown once."""
    from maintenance.services.accounts import create_token, find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    click.echo(create_token(user))


@click.command("demo")
def demo_command() -> None:
    """Load the protocol library and demo organisations, users, models and units."""
    from maintenance.demo.data import load_demo

    for line in load_demo(ROOT / "protocols" / "library"):
        click.echo(line)


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve_command(host: str, port: int) -> None:
    """Development: the web app, and the scheduler in a process of its own as in production."""
    import subprocess

    from flask import current_app
    from werkzeug.serving import run_simple

    from maintenance.ops.logs import QuietRequestHandler

    _require_valid_settings()
    scheduler = subprocess.Popen([sys.executable, "-m", "maintenance.cli", "scheduler"])
    try:
        # The application itself, not the proxy: run_simple serves it outside this context.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        run_simple(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=10)


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the periodic jobs (materialise and dispatch reminders) until stopped."""
    from flask import current_app

    from maintenance.ops.periodic_jobs import run_scheduler

    _require_valid_settings()
    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("dispatch")
@click.option("--now", "now_text", help="ISO 8601 moment to act as (default: now).")
def dispatch_command(now_text: str | None) -> None:
    """One pass: materialise due reminders, then send what is due (for cron and tests)."""
    from dataclasses import asdict
    from datetime import UTC, datetime

    from maintenance.services.reminders.dispatch import dispatch_once
    from maintenance.services.reminders.materialise import materialise_due

    try:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(UTC)
    except ValueError:
        raise click.BadParameter(
            f"{now_text!r} is not an ISO 8601 date-time", param_hint="--now"
        ) from None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    _require_valid_settings()
    materialised = materialise_due(now)
    click.echo(f"materialised: {asdict(materialised)}")
    dispatched = dispatch_once(now)
    click.echo(f"dispatched: {asdict(dispatched)}")


if __name__ == "__main__":
    main()
