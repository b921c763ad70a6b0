"""Build hook: a wheel carries the compiled Dutch catalogue and the service's data folders.

Everything else about the package is in pyproject.toml. The catalogue is compiled from the .po
at build time (*.mo is not in git), so `pip install .` and a wheel speak Dutch without `make`.
A wheel also carries templates/, static/, migrations/ and protocols/ under maintenance/_data/,
where maintenance.config finds them when they are not beside the package (a checkout).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
TRANSLATIONS = Path("maintenance") / "translations"
DATA_FOLDERS = ("templates", "static", "migrations", "protocols")
BUNDLED = Path("maintenance") / "_data"


def compile_catalogues(source: Path, target: Path) -> None:
    """Write a .mo beside each .po of source into the same place under target."""
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


class BuildWithCatalogues(build_py):
    """build_py, then the compiled catalogues (and, for a wheel, the data folders)."""

    def run(self) -> None:
        """Build the Python modules, then add what the service reads at run time."""
        super().run()
        if self.editable_mode:
            # An editable install runs from this checkout: compile in place, next to the .po.
            compile_catalogues(HERE / TRANSLATIONS, HERE / TRANSLATIONS)
            return
        build = Path(self.build_lib)
        compile_catalogues(HERE / TRANSLATIONS, build / TRANSLATIONS)
        for folder in DATA_FOLDERS:
            shutil.copytree(
                HERE / folder,
                build / BUNDLED / folder,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )


setup(cmdclass={"build_py": BuildWithCatalogues})
