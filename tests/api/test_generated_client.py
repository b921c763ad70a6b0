"""A client generated from the OpenAPI document (openapi-python-client) builds and calls the API."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from maintenance.api.openapi import openapi_document
from tests.builders import GTIN, make_model

GENERATOR = shutil.which("openapi-python-client") or str(
    Path(sys.executable).parent / "openapi-python-client"
)


def test_a_generated_client_lists_a_shops_units_against_the_live_server(
    tmp_path, live_server, make_user, token_for
) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(openapi_document(live_server)))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"project_name_override": "maintenance-client"}))
    built = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(tmp_path / "client"),
            "--config",
            str(config),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr

    make_model()
    shop = make_user(role="retailer", organisation="Shop A")
    token = token_for(shop)["Authorization"].removeprefix("Bearer ")
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module("client")
        client = package.AuthenticatedClient(base_url=live_server, token=token)
        create = importlib.import_module("client.api.default.create_unit")
        models = importlib.import_module("client.models")
        created = create.sync(client=client, body=models.UnitCreate(gtin=GTIN, serial="GEN-1"))
        listing = importlib.import_module("client.api.default.list_units")
        page = listing.sync(client=client, gtin=GTIN, serial="GEN-1")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [
            name for name in sys.modules if name == "client" or name.startswith("client.")
        ]:
            del sys.modules[name]
    # Unit's top-level oneOf (a serial or a unit code) comes back as a plain mapping.
    created = created if isinstance(created, dict) else created.to_dict()
    assert created["serial"] == "GEN-1"
    assert [unit["id"] if isinstance(unit, dict) else unit.id for unit in page.items] == [
        created["id"]
    ]
