"""Serials with every GS1 character, '/' too: the resolver reads the raw path on each server."""

from __future__ import annotations

import html
import http.client
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from maintenance.config import ROOT
from maintenance.extensions import db as _db
from maintenance.services.units.create import create_unit
from maintenance.services.units.printing import unit_link
from tests.builders import GTIN, make_model, make_shop
from tests.ops.test_gunicorn import free_port

LINKSET = "application/linkset+json"
SLASHED = "SN/0001"
SLASHED_PATH = f"/01/{GTIN}/21/SN%2F0001"
# Each set-82 character a URI path cannot carry as it is, one serial per character.
RESERVED = ["SN%1", "SN&1", "SN?1", 'SN"1', "SN<1>", "SN'1", "SN+1,2;3=4:5", "/", "a/b/c/d"]
NO_RAW_PATH = {"RAW_URI": "", "REQUEST_URI": ""}  # a WSGI server that passes no raw path


@pytest.fixture
def slashed(db: object) -> str:
    """A model and a unit registered with the serial SN/0001; its URI."""
    make_model()
    return unit_link(create_unit(make_shop(), GTIN, SLASHED).unit)


def biip_serial(uri: str) -> str:
    """The serial (AI 21) biip reads from a Digital Link URI, after checking the GTIN."""
    values = {e.ai.ai: e.value for e in GS1DigitalLinkURI.parse(uri).element_strings}
    assert values["01"] == GTIN
    return values["21"]


def decode_png(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data)).convert("L")
    return [c.text for c in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def get(base_url: str, path: str, accept: str = "text/html") -> tuple[int, bytes]:
    """One request with the path sent byte for byte (no client re-encoding)."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept": accept, "Accept-Language": "en"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_serial_with_a_slash_resolves_to_its_unit(client: FlaskClient, slashed: str) -> None:
    assert slashed == f"http://localhost{SLASHED_PATH}"
    assert biip_serial(slashed) == SLASHED
    page = client.get(SLASHED_PATH, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert SLASHED in html.unescape(page.get_data(as_text=True))
    (context,) = client.get(SLASHED_PATH, headers={"Accept": LINKSET}).json["linkset"]
    assert context["anchor"] == slashed
    registered = context["https://gs1.org/voc/registerProduct"][0]["href"]
    assert registered == slashed + "#register"
    png = client.get(f"/qr{SLASHED_PATH}.png")
    assert png.status_code == 200 and decode_png(png.data) == [slashed]


@pytest.mark.parametrize("environ", [{}, NO_RAW_PATH], ids=["raw path", "no raw path"])
def test_the_test_client_resolves_it_with_and_without_a_raw_path(
    client: FlaskClient, slashed: str, environ: dict[str, str]
) -> None:
    # Without RAW_URI the decoded path cannot tell %2F from '/'; what follows /21/ is the serial.
    linkset = client.get(SLASHED_PATH, headers={"Accept": LINKSET}, environ_overrides=environ)
    assert linkset.status_code == 200 and linkset.json["linkset"][0]["anchor"] == slashed
    png = client.get(f"/qr{SLASHED_PATH}.png", environ_overrides=environ)
    assert decode_png(png.data) == [slashed]
    # The code path is untouched by the fallback, and bad paths still get their 400.
    assert client.get(f"/01/{GTIN}/21/SN1/", environ_overrides=environ).status_code == 400


@pytest.mark.parametrize("serial", RESERVED)
def test_serials_with_reserved_characters_round_trip(
    client: FlaskClient, db: object, serial: str
) -> None:
    make_model()
    uri = unit_link(create_unit(make_shop(), GTIN, serial).unit)
    assert biip_serial(uri) == serial
    path = uri.removeprefix("http://localhost")
    (context,) = client.get(path, headers={"Accept": LINKSET}).json["linkset"]
    assert context["anchor"] == uri
    assert decode_png(client.get(f"/qr{path}.png").data) == [uri]


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [("SN%231", "'#'"), ("SN%7E1", "'~'"), ("SN%5C1", "REVERSE SOLIDUS"), ("%2E", "'.'")],
)
def test_characters_outside_set_82_are_400_naming_them(
    client: FlaskClient, slashed: str, encoded: str, reason: str
) -> None:
    response = client.get(f"/01/{GTIN}/21/{encoded}", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert reason in html.unescape(response.get_data(as_text=True))


def test_the_dev_server_passes_the_raw_path(live_server: str, slashed: str) -> None:
    status, body = get(live_server, SLASHED_PATH)
    assert status == 200 and SLASHED in html.unescape(body.decode())
    # Only the raw path tells this one apart (the decoded paths are the same): GS1 refuses it.
    assert get(live_server, SLASHED_PATH.replace("%2F", "/"))[0] == 400
    status, body = get(live_server, f"/qr{SLASHED_PATH}.png")
    assert status == 200 and decode_png(body) == [f"{live_server}{SLASHED_PATH}"]


@pytest.fixture
def gunicorn(app: Flask, tmp_path: Path) -> Iterator[str]:
    """gunicorn (one worker, the project's config) on the test database; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "BASE_URL": f"http://127.0.0.1:{port}",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a bounded number of tries; nothing asserted about the time
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()}")
            try:
                if get(base_url, "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_gunicorn_passes_the_raw_path(slashed: str, gunicorn: str) -> None:
    _db.session.remove()  # the unit is committed; gunicorn reads it from the same database
    # Linksets and QR images record no scans, so nothing is left behind in the test database.
    status, body = get(gunicorn, SLASHED_PATH, accept=LINKSET)
    assert status == 200 and f'"{gunicorn}{SLASHED_PATH}"' in body.decode()
    assert get(gunicorn, SLASHED_PATH.replace("%2F", "/"), accept=LINKSET)[0] == 400
    status, body = get(gunicorn, f"/qr{SLASHED_PATH}.png")
    assert status == 200 and decode_png(body) == [f"{gunicorn}{SLASHED_PATH}"]
