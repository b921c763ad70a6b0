"""The admin page for GS1 company prefixes and GTIN exceptions (issue 15, item 11)."""

from __future__ import annotations

from maintenance.services.gs1_prefixes import assignments_of, prefixes_of
from tests.builders import gtin
from tests.conftest import csrf_token


def test_only_admins_see_the_page(client, login, make_user):
    assert client.get("/admin/organisations").status_code == 302
    login(make_user(role="manufacturer"))
    assert client.get("/admin/organisations").status_code == 403


def test_an_admin_sets_prefixes_and_assigns_a_gtin(client, db, login, make_user):
    acme = make_user(organisation="Acme").organisation
    login(make_user(role="admin"))
    token = csrf_token(client, "/admin/organisations")

    saved = client.post(
        f"/admin/organisations/{acme.id}/prefixes",
        data={"prefixes": "871234, 0614141", "csrf_token": token},
    )
    assigned = client.post(
        f"/admin/organisations/{acme.id}/gtins",
        data={"gtin": gtin("500000000001"), "csrf_token": token},
    )

    assert saved.status_code == assigned.status_code == 302
    assert prefixes_of(acme) == ["0614141", "871234"]
    assert assignments_of(acme) == [gtin("500000000001")]
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert 'value="0614141 871234"' in page and gtin("500000000001") in page
    removed = client.post(
        "/admin/organisations/gtins/remove",
        data={"gtin": gtin("500000000001"), "csrf_token": token},
    )
    assert removed.status_code == 302
    assert assignments_of(acme) == []


def test_a_bad_prefix_is_a_422_saying_what_and_where_and_changes_nothing(
    client, db, login, make_user
):
    acme = make_user(organisation="Acme", prefixes=["871234"]).organisation
    bosch = make_user(organisation="Bosch").organisation
    login(make_user(role="admin"))
    token = csrf_token(client, "/admin/organisations")
    for value, message in [
        ("87\uff11234", "is not a GS1 company prefix"),  # a full-width digit one
        ("8712345", "overlaps 871234, a prefix of Acme"),
    ]:
        response = client.post(
            f"/admin/organisations/{bosch.id}/prefixes",
            data={"prefixes": value, "csrf_token": token},
        )
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        section = html.split(f'id="organisation-{bosch.id}"')[1]
        assert message in section.split("</section>")[0]
        assert prefixes_of(bosch) == []
    assert prefixes_of(acme) == ["871234"]
    # A NUL byte never reaches the page: the boundary check refuses it for every form.
    nul = client.post(
        f"/admin/organisations/{bosch.id}/prefixes",
        data={"prefixes": "87\x001234", "csrf_token": token},
    )
    assert nul.status_code == 400 and b"NUL" in nul.data
    assert prefixes_of(bosch) == []
    unknown = client.post(
        "/admin/organisations/999999/prefixes", data={"prefixes": "400638", "csrf_token": token}
    )
    assert unknown.status_code == 404
