"""The GS1 conformant resolver on BASE_URL: /01/{gtin}[/21/{serial} | /235/{code}], QR images."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from maintenance.i18n import LANGUAGES
from maintenance.services.catalog import current_version_for_model, get_model
from maintenance.services.identifiers import (
    AI_SERIAL,
    DigitalLink,
    IdentifierError,
    parse_digital_link_path,
)
from maintenance.services.labels import qr_png, qr_svg
from maintenance.services.scans import record_scan
from maintenance.services.units.find import find_scanned
from maintenance.web.errors import ApiError
from maintenance.web.linkset import (
    GS1_VOC,
    LINKSET_LINK_TYPES,
    LINKSET_TYPE,
    MAKER_LINK_TYPES,
    UNIT_LINK_TYPES,
    Resolved,
    base_url,
    links_for,
    linkset_response,
    maker_links,
)
from maintenance.web.unit_page import render_unit

bp = Blueprint("resolver", __name__)

QR_MAX_AGE = 24 * 3600  # seconds; a code never changes unless BASE_URL does
QR_FORMATS = ("svg", "png")


def raw_request_path() -> str:
    """The request path still percent-encoded, so an encoded '/' or '%' keeps its meaning."""
    # gunicorn sets RAW_URI, uWSGI and mod_wsgi REQUEST_URI, Werkzeug (dev server, test client)
    # both: the request target as sent, before any percent-decoding.
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return _path_from_decoded(request.path)
    path = urlsplit(raw).path if "://" in raw.split("?", 1)[0] else raw.split("?", 1)[0]
    root = request.script_root
    return path[len(root) :] if root and path.startswith(root) else path


def _path_from_decoded(path: str) -> str:
    """Re-encode a decoded path from a server that keeps no raw one; a serial keeps its '/'."""
    # The decoded path cannot tell a %2F from a separator. The serial is the last value of a
    # GTIN path, so everything after /21/ is taken as the serial (unless it has empty segments,
    # which are then refused as such).
    head, marker, serial = path.partition(f"/{AI_SERIAL}/")
    keep = "/!$&'()*+,;=:@-._~"
    if marker and "" not in serial.split("/"):
        return quote(head, safe=keep) + marker + quote(serial, safe=keep.replace("/", ""))
    return quote(path, safe=keep)


def wants_linkset() -> bool:
    """The client asked for the linkset: ?linkType=linkset or a JSON Accept header."""
    if request.args.get("linkType") in LINKSET_LINK_TYPES:
        return True
    if "json" not in request.headers.get("Accept", ""):
        return False  # a browser's Accept names neither type: no need to weigh it
    best = request.accept_mimetypes.best_match(["text/html", LINKSET_TYPE, "application/json"])
    return best in (LINKSET_TYPE, "application/json")


def fail(status: int, message: str) -> Response:
    """An error as JSON for linkset clients, else as a page a person understands."""
    if wants_linkset():
        response = jsonify({"error": message, "details": []})
    else:
        response = make_response(
            render_template("errors/error.html", status=status, message=message)
        )
    response.status_code = status
    return response


def lookup(link: DigitalLink) -> Resolved | Response:
    """The model and unit a parsed path names, or the 404/410 response for a person or client."""
    # The model, the unit and the version in force in one query: this runs on every scan.
    scanned = find_scanned(link.gtin, serial=link.serial, unit_code=link.unit_code)
    if scanned is None:
        return fail(
            404,
            _(
                "We do not know a product with the code %(gtin)s. Check the number under the"
                " barcode; if it is right, the manufacturer has not registered this product yet.",
                gtin=link.gtin,
            ),
        )
    model, unit = scanned.model, scanned.unit
    if link.unit_code is not None and unit is None:
        # Unit codes are only issued by this service, so an unknown one is not a real label.
        return fail(
            404,
            _(
                "We do not know the code %(code)s for %(brand)s %(model)s. Check that you"
                " typed it as printed on the label.",
                code=link.unit_code,
                brand=model.brand,
                model=model.name,
            ),
        )
    if unit is not None and unit.voided_at is not None:
        return fail(
            410,
            _(
                "This label was withdrawn by the shop, probably because it was printed by"
                " mistake. Ask the shop for a new label; the maintenance tips for %(brand)s"
                " %(model)s are still at %(url)s.",
                brand=model.brand,
                model=model.name,
                url=DigitalLink(link.gtin).uri(base_url()),
            ),
        )
    return Resolved(link, model, unit, scanned.version, scanned.unit_has_records)


def redirect_to(resolved: Resolved, link_type: str) -> BaseResponse:
    """307 to the link type's target with the rest of the query string, or 404 if not offered."""
    key = link_type.removeprefix("gs1:").removeprefix(GS1_VOC)
    known = link_type.startswith(("gs1:", GS1_VOC))
    link = (links_for(resolved).get(key) or maker_links(resolved).get(key)) if known else None
    if link is None:
        return fail(
            404,
            _(
                "There is no link of type %(type)s for this product. Leave out linkType to see"
                " its page, or use linkType=linkset to list the links there are.",
                type=link_type,
            ),
        )
    query = urlencode(
        [(k, v) for k, v in parse_qsl(request.query_string.decode("latin-1")) if k != "linkType"]
    )
    href, hash_mark, fragment = link.href.partition("#")
    if query:
        href += ("&" if "?" in href else "?") + query
    return redirect(href + hash_mark + fragment, code=307)


def resolve() -> BaseResponse | str:
    """Answer a Digital Link path: the page, the linkset, or a redirect for a linkType."""
    try:
        link = parse_digital_link_path(raw_request_path())
    except IdentifierError as exc:
        return fail(400, _("This is not a valid product code: %(reason)s", reason=str(exc)))
    resolved = lookup(link)
    if isinstance(resolved, Response):
        return resolved
    link_type = request.args.get("linkType")
    if link_type and link_type not in LINKSET_LINK_TYPES:
        return redirect_to(resolved, link_type)
    if wants_linkset():
        return linkset_response(resolved)
    page: str | bytes
    if resolved.is_unit_path:
        page = render_unit(
            resolved.model,
            resolved.unit,
            link.gtin,
            link.serial,
            link.unit_code,
            resolved.version,
            unit_has_records=resolved.unit_has_records,
        )
    else:
        page = _model_page(resolved)
    response = make_response(page)
    response.headers["Link"] = (
        f'<{link.uri(base_url())}?linkType=linkset>; rel="linkset"; type="{LINKSET_TYPE}"'
    )
    if request.method == "GET":
        # After rendering: committing expires the loaded rows, which the page would reload.
        source = "web" if request.referrer else "qr"
        record_scan(
            link.gtin, resolved.model.id, resolved.unit.id if resolved.unit else None, source
        )
    return response


def _model_page(resolved: Resolved) -> str | bytes:
    """The model's page: its protocol, or the unit page without a unit when there is none yet."""
    from maintenance.web.public import render_protocol

    model = get_model(resolved.model.id)
    version = current_version_for_model(model) if resolved.version is not None else None
    if version is None:
        return render_unit(resolved.model, None, resolved.link.gtin, None, None, None)
    return render_protocol(version, model=model, gtin=resolved.link.gtin)


@bp.after_request
def vary_on_accept(response: Response) -> Response:
    """The same URI answers with a page or a linkset, so caches must key on Accept."""
    if request.endpoint in ("resolver.model_page", "resolver.unit_page"):
        vary = response.headers.get("Vary")
        if vary is None:
            response.headers["Vary"] = "Accept"  # the usual case, without parsing a header set
        else:
            response.vary.add("Accept")
    return response


@bp.get("/01/<gtin>", merge_slashes=False)
def model_page(gtin: str) -> BaseResponse | str:
    """A product model: its maintenance protocol (links apply to every unit of it)."""
    return resolve()


# The whole rest of the path, so that a malformed one (say, a double slash) still gets its 400.
@bp.get("/01/<path:rest>", merge_slashes=False)
def unit_page(rest: str) -> BaseResponse | str:
    """One unit: /21/{serial} or /235/{unit code} after the GTIN."""
    return resolve()


@bp.get("/.well-known/gs1resolver")
def description() -> Response:
    """What this resolver supports, for GS1 clients and other resolvers."""
    response = jsonify(
        {
            "name": _("Appliance maintenance resolver"),
            "resolverRoot": base_url(),
            "supportedPrimaryKeys": ["01"],
            "supportedQualifiers": {"01": ["21", "235"]},
            "supportedLinkTypes": [f"gs1:{key}" for key in (*UNIT_LINK_TYPES, *MAKER_LINK_TYPES)],
            "supportedLinkType": [
                {
                    "namespace": GS1_VOC,
                    "prefix": "gs1:",
                    "profile": "https://gs1.org/voc/?show=linktypes",
                }
            ],
            "linkTypeDefaultCanBeLinkset": False,
            "linksetMediaType": LINKSET_TYPE,
            "supportedLanguages": list(LANGUAGES),
        }
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def qr_image_url(link: DigitalLink, image_format: str) -> str:
    """The absolute URL of the QR image (svg or png) of a Digital Link."""
    return f"{base_url()}/qr{link.path}.{image_format}"


@bp.get("/qr/01/<path:rest>", merge_slashes=False)
def qr_image(rest: str) -> BaseResponse:
    """The QR code of a Digital Link path as SVG or PNG: /qr/01/{gtin}[/21/{serial}].svg|png."""
    path = raw_request_path().removeprefix("/qr")
    image_format = path.rsplit(".", 1)[-1] if "." in path else ""
    if image_format not in QR_FORMATS:
        raise ApiError(404, _("QR images end in .svg or .png."))
    try:
        link = parse_digital_link_path(path[: -len(image_format) - 1])
    except IdentifierError as exc:
        raise ApiError(
            400, _("This is not a valid product code: %(reason)s", reason=str(exc))
        ) from None
    scale = request.args.get("scale", "8")
    # ASCII digits only: "²".isdigit() is true, and int() refuses it.
    if image_format == "png" and not (
        scale.isascii() and scale.isdigit() and 1 <= int(scale) <= 32
    ):
        raise ApiError(400, _("scale must be a whole number of pixels from 1 to 32"))
    uri = link.uri(base_url())
    etag = hashlib.sha256(f"{uri}|{image_format}|{scale}|M".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif image_format == "svg":
        response = Response(qr_svg(uri), mimetype="image/svg+xml")
    else:
        response = Response(qr_png(uri, int(scale)), mimetype="image/png")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = QR_MAX_AGE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)
