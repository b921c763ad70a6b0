"""The manufacturer upload page: errors beside their lines, preview, publish; roles enforced."""

from __future__ import annotations

import io
import re

from maintenance.models import ProtocolVersion
from tests.builders import count, gtin, protocol_yaml
from tests.conftest import csrf_token


def test_anonymous_visitors_are_sent_to_login_and_retailers_refused(client, login, make_user):
    assert client.get("/manufacturer/").status_code == 302
    login(make_user(role="retailer"))
    assert client.get("/manufacturer/").status_code == 403


def test_errors_are_shown_beside_their_lines_and_nothing_is_stored(client, db, login, make_user):
    login(make_user(role="manufacturer"))
    source = protocol_yaml(every="P3X")
    token = csrf_token(client, "/manufacturer/")
    page = client.post(
        "/manufacturer/protocols/check", data={"source": source, "csrf_token": token}
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    line = source.splitlines().index('      "every": "P3X",') + 1
    marked = re.search(rf'<span id="line-{line}" class="bad">(.*?)</span>\s*</span>', html, re.S)
    assert marked, "the bad line is not marked"
    assert "tasks[0].every" in marked.group(1)
    assert count(ProtocolVersion) == 0


def test_an_uploaded_file_is_previewed_then_published(client, db, login, make_user):
    login(make_user(role="manufacturer", organisation="Acme", prefixes=["871234"]))
    source = protocol_yaml(manufacturer="Acme", models=[(gtin("871234500301"), "DW 30")])
    token = csrf_token(client, "/manufacturer/")
    preview = client.post(
        "/manufacturer/protocols/check",
        data={"file": (io.BytesIO(source.encode()), "dw30.json"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    # Drawn as owners will see it, in the page's language (Dutch unless the browser asks).
    assert '<span class="task-title">Filter reinigen</span>' in html
    assert count(ProtocolVersion) == 0, "a preview must not publish"
    published = client.post(
        "/manufacturer/protocols/publish", data={"source": source, "csrf_token": token}
    )
    assert published.status_code == 302
    assert count(ProtocolVersion) == 1
    listing = client.get("/manufacturer/").get_data(as_text=True)
    assert "DW 30" in listing
    assert gtin("871234500301") in listing


def test_publishing_without_csrf_token_is_refused(client, db, login, make_user):
    login(make_user(role="manufacturer"))
    response = client.post("/manufacturer/protocols/publish", data={"source": protocol_yaml()})
    assert response.status_code == 400
    assert count(ProtocolVersion) == 0


def test_a_manufacturer_cannot_publish_over_another_manufacturers_model(
    client, db, login, make_user
):
    from maintenance.services.protocols import load_protocol
    from maintenance.services.protocols.publish import publish_protocol

    g = gtin("871234500302")
    owner = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    publish_protocol(load_protocol(protocol_yaml(manufacturer="Acme", models=[(g, "X")])), owner)
    login(make_user(role="manufacturer", organisation="Other"))
    token = csrf_token(client, "/manufacturer/")
    source = protocol_yaml(manufacturer="Other", models=[(g, "X")], every="P2M")
    response = client.post(
        "/manufacturer/protocols/publish", data={"source": source, "csrf_token": token}
    )
    assert response.status_code == 403
    assert count(ProtocolVersion) == 1


def test_uploads_over_one_megabyte_get_413(client, login, make_user):
    login(make_user(role="manufacturer"))
    token = csrf_token(client, "/manufacturer/")
    big = "x" * (1024 * 1024 + 10)
    response = client.post(
        "/manufacturer/protocols/check", data={"source": big, "csrf_token": token}
    )
    assert response.status_code == 413


def test_a_gtin_outside_the_prefixes_is_shown_beside_its_line_and_not_published(
    client, db, login, make_user
):
    make_user(organisation="Bosch", prefixes=["400638"])
    login(make_user(role="manufacturer", organisation="Acme", prefixes=["871234"]))
    stolen = gtin("400638100001")
    source = protocol_yaml(
        manufacturer="Acme", models=[(gtin("871234500311"), "DW"), (stolen, "X")]
    )
    token = csrf_token(client, "/manufacturer/")

    page = client.post(
        "/manufacturer/protocols/check", data={"source": source, "csrf_token": token}
    )

    assert page.status_code == 403
    html = page.get_data(as_text=True)
    line = source.splitlines().index(f'        "gtin": "{stolen}",') + 1
    marked = re.search(rf'<span id="line-{line}" class="bad">(.*?)</span>\s*</span>', html, re.S)
    assert marked, "the GTIN's line is not marked"
    assert "applies_to.models[1].gtin" in marked.group(1)
    assert "GS1 company prefix" in marked.group(1)
    published = client.post(
        "/manufacturer/protocols/publish", data={"source": source, "csrf_token": token}
    )
    assert published.status_code == 403
    assert f"protocol.yaml:{line}: applies_to.models[1].gtin" in published.get_data(as_text=True)
    assert count(ProtocolVersion) == 0


def test_a_manufacturer_lists_only_its_own_protocols_and_models_an_admin_all(
    client, login, make_user
):
    from maintenance.services.protocols import load_protocol
    from maintenance.services.protocols.publish import publish_protocol

    for maker, prefix, model in (("Acme", "871234", "Acme 10"), ("Other", "871235", "Other 20")):
        user = make_user(role="manufacturer", organisation=maker, prefixes=[prefix])
        models = [(gtin(f"{prefix}500401"), model)]
        publish_protocol(load_protocol(protocol_yaml(manufacturer=maker, models=models)), user)

    login(make_user(role="manufacturer", organisation="Acme"))
    listing = client.get("/manufacturer/").get_data(as_text=True)
    assert "Acme 10" in listing and "Other 20" not in listing
    assert listing.count("/protocols/v/") == 1  # its own protocol, not the other maker's

    login(make_user(role="admin"))
    listing = client.get("/manufacturer/").get_data(as_text=True)
    assert "Acme 10" in listing and "Other 20" in listing
    assert listing.count("/protocols/v/") == 2
