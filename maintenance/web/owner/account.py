"""My account: message settings, the data export, erasure, and the private calendar feed."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from maintenance.services import calendar_feed
from maintenance.services.owners.contacts import OwnerError
from maintenance.services.owners.erase import delete_owner
from maintenance.services.owners.export import export_data
from maintenance.services.owners.settings import (
    Settings,
    canonical_time_zones,
    forget_postcode,
    update_settings,
)
from maintenance.web.owner import bp
from maintenance.web.owner.session import (
    forget_owner,
    owner_required,
    see_other,
    signed_in_owner,
    today_for,
)

TIME_ZONES = sorted(zone for zone in canonical_time_zones() if zone.startswith("Europe/"))


@bp.route("/me/settings", methods=["GET", "POST"])
@owner_required
def settings() -> BaseResponse | str | tuple[str, int]:
    """Channel, language, time of day, time zone, digest or per task, pause all."""
    owner = signed_in_owner()
    if request.method == "POST":
        form = request.form
        try:
            update_settings(
                owner,
                Settings(
                    channel=form.get("channel", owner.channel),
                    language=form.get("language", owner.language),
                    preferred_hour=int(form.get("hour", owner.preferred_hour)),
                    time_zone=form.get("time_zone", owner.time_zone),
                    digest=form.get("digest") == "1",
                    paused=form.get("paused") == "1",
                ),
            )
        except (OwnerError, ValueError) as exc:
            flash(str(exc), "error")
            return render_template("owner/settings.html", owner=owner, zones=TIME_ZONES), 400
        flash(_("Your settings were saved."))
        return see_other(url_for("owner.settings"))
    return render_template("owner/settings.html", owner=owner, zones=TIME_ZONES)


@bp.post("/me/settings/postcode")
@owner_required
def forget_my_postcode() -> BaseResponse:
    """Remove the postcode kept for finding a service partner."""
    if forget_postcode(signed_in_owner()):
        flash(_("We no longer keep your postcode."))
    return see_other(url_for("owner.settings"))


@bp.get("/me/export")
@owner_required
def export() -> BaseResponse:
    """All my data as a JSON download."""
    data: dict[str, Any] = export_data(signed_in_owner())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-maintenance-data.json"'},
    )


@bp.route("/me/delete", methods=["GET", "POST"])
@owner_required
def delete() -> BaseResponse | str:
    """Ask, then erase all my personal data (the units keep an anonymous history)."""
    if request.method == "GET":
        return render_template("owner/delete.html")
    delete_owner(signed_in_owner())
    forget_owner()
    flash(_("All your personal data was deleted. You will get no more messages from us."))
    return see_other(url_for("public.index"))


@bp.route("/me/calendar", methods=["GET", "POST"])
@owner_required
def calendar() -> BaseResponse | str:
    """The private calendar link: show it, make it, or revoke it."""
    owner = signed_in_owner()
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            calendar_feed.revoke_calendar(owner)
            flash(_("The old calendar link no longer works."))
        else:
            calendar_feed.calendar_token_for(owner)
        return see_other(url_for("owner.calendar"))
    url = calendar_feed.feed_url(owner.calendar_token) if owner.calendar_token else None
    return render_template("owner/calendar.html", url=url)


@bp.get("/calendar/<token>.ics")
def calendar_ics(token: str) -> BaseResponse:
    """The iCalendar feed behind a private link."""
    owner = calendar_feed.owner_for_token(token)
    if owner is None:
        abort(404)
    body = calendar_feed.build_calendar(owner, today_for(owner))
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
