"""The `partners` command group: register a service partner, approve it, list them."""

from __future__ import annotations

from datetime import UTC, datetime

import click


@click.group("partners")
def partners_group() -> None:
    """Service partners: installers, repair shops, service desks and repair cafés."""


@partners_group.command("add")
@click.argument("name")
@click.option("--area", "areas", multiple=True, required=True, help="1000-1099, BE:2000-2999")
@click.option("--category", "categories", multiple=True, help="Product category; none: any.")
@click.option("--task", "tasks", multiple=True, help="Uniform task id; none: any.")
@click.option("--brand", "brands", multiple=True, help="A brand it is authorised for.")
@click.option("--booking", type=click.Choice(["request", "url", "phone"]), default="request")
@click.option("--email", help="Where new requests are announced (booking by request).")
@click.option("--url", "booking_url", help="Its own https booking page (booking by url).")
@click.option("--phone")
@click.option("--repair-cafe", is_flag=True)
@click.option("--opening-days", help="A repair café's opening days, as shown to owners.")
@click.option("--free", is_flag=True)
def partners_add(
    name: str,
    areas: tuple[str, ...],
    categories: tuple[str, ...],
    tasks: tuple[str, ...],
    brands: tuple[str, ...],
    booking: str,
    email: str | None,
    booking_url: str | None,
    phone: str | None,
    repair_cafe: bool,
    opening_days: str | None,
    free: bool,
) -> None:
    """Register (or update) a partner; owners see it once an admin approves it."""
    from maintenance.services.partners.profiles import PartnerError, register_partner

    try:
        profile = register_partner(
            name,
            areas=areas,
            categories=categories,
            task_ids=tasks,
            brands=brands,
            booking_mode=booking,
            booking_url=booking_url,
            phone=phone,
            email=email,
            repair_cafe=repair_cafe,
            opening_days=opening_days,
            free=free,
        )
    except PartnerError as exc:
        raise click.ClickException(str(exc)) from None
    state = "approved" if profile.approved_at else "waiting for approval"
    click.echo(f"partner {name}: {len(profile.areas)} areas, {state}")


@partners_group.command("approve")
@click.argument("name")
def partners_approve(name: str) -> None:
    """Approve a registered partner: from now on owners are offered it."""
    from maintenance.services.partners.profiles import approve_partner, profile_named

    profile = profile_named(name)
    if profile is None:
        raise click.ClickException(f"no partner named {name!r}")
    approve_partner(profile, datetime.now(UTC))
    click.echo(f"partner {name}: approved")


@partners_group.command("list")
def partners_list() -> None:
    """Every partner, waiting ones first."""
    from maintenance.services.partners.profiles import all_profiles

    for profile in all_profiles():
        state = "approved" if profile.approved_at else "waiting"
        areas = ", ".join(
            f"{a.country}:{a.first}" + (f"-{a.last}" if a.last != a.first else "")
            for a in profile.areas
        )
        click.echo(f"{profile.organisation.name}: {state}; {areas}")


@partners_group.command("ords-export")
@click.option("--country", default="NLD", help="ISO 3166 alpha-3 code of the repairs' country.")
def partners_ords_export(country: str) -> None:
    """Owners' repair outcomes as an Open Repair Data Standard (v0.3) CSV on stdout."""
    from maintenance.services.partners.outcomes import ords_csv

    click.echo(ords_csv(country), nl=False)
