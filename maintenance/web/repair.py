"""'Still not right?': the repair options for an appliance, after the owner's own checks."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import local_today, now_utc
from maintenance.services.identifiers import (
    DigitalLink,
    IdentifierError,
    normalize_gtin,
    normalize_unit_code,
    validate_serial,
)
from maintenance.services.partners.outcomes import BARRIERS, record_outcome
from maintenance.services.partners.profiles import PartnerError, parse_postcode
from maintenance.services.repair import SubjectNotFound, find_subject, repair_options
from maintenance.web.errors import ApiError
from maintenance.web.visitors import anonymous_form, is_signed_in

bp = Blueprint("repair", __name__)

# A symptom id as the protocol format allows it (kebab-case, at most 64 characters).
_SYMPTOM_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@bp.get("/repair")
def options() -> str:
    """Who can repair it: ?gtin=...[&serial=...|&code=...][&symptom=...][&postcode=...]."""
    link = _link()
    symptom_id = request.args.get("symptom") or None
    if symptom_id is not None and not (len(symptom_id) <= 64 and _SYMPTOM_ID.fullmatch(symptom_id)):
        raise ApiError(400, _("symptom must be a symptom id such as does-not-drain"))
    postcode = None
    if request.args.get("postcode"):
        try:
            postcode = parse_postcode(request.args["postcode"])
        except PartnerError:
            raise ApiError(
                400, _("postcode must be like 1234 AB, or BE 1000 for Belgium")
            ) from None
    try:
        subject = find_subject(link, symptom_id, postcode)
    except SubjectNotFound:
        raise ApiError(404, _("We could not find that page.")) from None
    back = link.path + (f"#symptom-{symptom_id}" if subject.symptom else "")
    return render_template(
        "public/repair.html",
        model=subject.model,
        symptom=subject.symptom,
        options=repair_options(subject),
        back=back,
        postcode=request.args.get("postcode", ""),
        signed_in=is_signed_in(),
        barriers=BARRIERS,
    )


@bp.post("/repair/outcome")
@anonymous_form
def outcome() -> BaseResponse:
    """How it ended: fixed myself, repaired by a partner, not repairable (why); anonymous."""
    link = _link()
    symptom_id = request.args.get("symptom") or None
    try:
        subject = find_subject(link)
    except SubjectNotFound:
        raise ApiError(404, _("We could not find that page.")) from None
    barrier = request.form.get("barrier") or None
    try:
        record_outcome(
            subject.model,
            subject.unit,
            request.form.get("outcome", ""),
            local_today(None, now_utc()),
            barrier=barrier,
            symptom_id=symptom_id if symptom_id and _SYMPTOM_ID.fullmatch(symptom_id) else None,
        )
    except PartnerError as exc:
        raise ApiError(422, exc.message, [{"path": exc.field, "message": exc.message}]) from None
    flash(_("Thank you: this helps make appliances easier to repair."), "ok")
    return redirect(link.path, code=303)


def _link() -> DigitalLink:
    """The appliance the query names, or a 400 that says which value is wrong."""
    gtin, serial, code = (request.args.get(name) for name in ("gtin", "serial", "code"))
    if serial is not None and code is not None:
        raise ApiError(400, _("give serial or code, not both"))
    try:
        return DigitalLink(
            normalize_gtin(gtin or ""),
            serial=validate_serial(serial) if serial is not None else None,
            unit_code=normalize_unit_code(code) if code is not None else None,
        )
    except IdentifierError as exc:
        raise ApiError(
            400, _("This is not a valid product code: %(reason)s", reason=str(exc))
        ) from None
