"""A wheel of the service, installed as a deployer installs it, serves Dutch pages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from maintenance.config import ROOT

# Run where only the installed package can be imported (not this checkout): a migrated
# database, then a Dutch and an English page from its templates and compiled catalogue.
SERVE = textwrap.dedent(
    """
    import sys
    import maintenance
    from flask_migrate import upgrade
    from maintenance import create_app
    from maintenance.config import ROOT

    assert maintenance.__file__.startswith(sys.argv[1]), maintenance.__file__
    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    client = app.test_client()
    for language in ("nl", "en"):
        page = client.get("/login", headers={"Accept-Language": language})
        print(language, page.status_code, page.get_data(as_text=True))
    """
)


def test_a_wheel_installed_with_pip_speaks_dutch(tmp_path: Path) -> None:
    python = sys.executable
    # A clean copy, as a deployer's checkout is: no compiled catalogue (*.mo is not in git,
    # `make` compiles it) and no earlier build/ for setuptools to reuse.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "instance", "__pycache__", "*.mo", "bench"
        ),
    )
    # The venv's own setuptools and babel (the test extra), so nothing is downloaded.
    dist = tmp_path / "dist"
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            dist,
            source,
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("maintenance-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INSTANCE_PATH", "DATABASE_URL", "TEST_DATABASE_URL"))
    }
    env.update(
        PYTHONPATH=str(site),
        INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'installed.sqlite3'}",
    )
    served = subprocess.run(
        [python, "-c", SERVE, str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert served.returncode == 0, served.stderr
    dutch, english = served.stdout.split("\nen ", 1)
    assert dutch.startswith("nl 200")
    assert "Wachtwoord" in dutch and "Inloggen" in dutch
    assert english.startswith("200") and "Password" in english
