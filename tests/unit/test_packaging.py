"""The distributions hold the whole product: every package and every data file the code
opens (OpenAPI documents, report templates, the openai-node replay script), and nothing
of tests/ or bench/.

Builds the sdist and, from it, the wheel (``python -m build --no-isolation``, a few
seconds, no network) from a copy of the checkout, so the build never writes into the
working tree. ``.ci/run`` goes further: it installs the wheel in a fresh virtual
environment and runs ``conformance run`` outside the checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("spec", "httplane", "mockserver", "reference_impl", "conformance", "reports")
"""The top-level packages that ship (DESIGN.md, plus the servers' HTTP fast lane); tests/
and bench/ do not."""
NOT_SHIPPED = ("reports/examples/", "reports/out/")
"""Files under the product packages that are documentation or output, not package data."""
NEEDED = (
    "spec/openapi/openai-core.yaml",
    "spec/openapi/gemini-v1beta.yaml",
    "reports/templates/report.md.j2",
    "reports/templates/report.html.j2",
    "reports/templates/matrix.md.j2",
    "conformance/node/replay.mjs",
)
"""Data files the code opens by path (a floor for the generic rule below)."""
_JUNK = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", "node_modules"})

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


def _tracked(path: Path) -> bool:
    return not any(part in _JUNK or part.endswith(".egg-info") for part in path.parts)


def product_files() -> set[str]:
    """Every file of the product packages (POSIX paths relative to the checkout)."""
    out: set[str] = set()
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT)
            if not path.is_file() or not _tracked(rel) or path.suffix in {".pyc", ".pyo"}:
                continue
            name = rel.as_posix()
            if not name.startswith(NOT_SHIPPED):
                out.add(name)
    return out


def product_packages() -> set[str]:
    """Every directory with an ``__init__.py`` under the product packages, dotted."""
    return {
        ".".join(init.relative_to(ROOT).parent.parts)
        for top in PRODUCT
        for init in (ROOT / top).rglob("__init__.py")
        if _tracked(init.relative_to(ROOT))
    }


def _ignore(directory: str, names: list[str]) -> set[str]:
    here = Path(directory)
    skip = {n for n in names if n in _JUNK or n.endswith(".egg-info")}
    skip |= {n for n in names if n.startswith(".") and n not in {".gitignore"}}
    if here == ROOT:
        skip |= {"build", "dist"} & set(names)
    if here == ROOT / "reports":
        skip |= {"out"} & set(names)
    return skip


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(wheel, sdist)`` built from a copy of the checkout (the wheel from the sdist)."""
    base = tmp_path_factory.mktemp("packaging")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    out = base / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        check=False,
        timeout=80,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "absent from the `packages` configuration" not in done.stdout + done.stderr
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def sdist_names(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as tf:
        names = [m.name for m in tf.getmembers() if m.isfile()]
    return {name.split("/", 1)[1] for name in names if "/" in name}


def test_the_product_has_the_packages_and_data_this_test_expects() -> None:
    packages = product_packages()
    assert {"spec", "conformance", "conformance.checks", "conformance.probes"} <= packages
    assert set(NEEDED) <= product_files()


def test_pyproject_discovers_packages_instead_of_listing_them() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    setuptools = config["tool"]["setuptools"]
    why = "use [tool.setuptools.packages.find]: a hand-written list misses new subpackages"
    assert isinstance(setuptools.get("packages"), dict), why
    assert "find" in setuptools["packages"], why


def test_wheel_holds_every_package_and_data_file(dists: tuple[Path, Path]) -> None:
    names = wheel_names(dists[0])
    packages = {".".join(Path(n).parent.parts) for n in names if n.endswith("/__init__.py")}
    assert product_packages() <= packages, product_packages() - packages
    missing = sorted(product_files() - names)
    assert not missing, f"not in the wheel (add them to package-data): {missing}"
    stray = sorted(n for n in names if n.split("/")[0] in {"tests", "bench", "tools"})
    assert not stray, stray
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == set(PRODUCT)


def test_sdist_holds_every_package_and_data_file(dists: tuple[Path, Path]) -> None:
    names = sdist_names(dists[1])
    missing = sorted(product_files() - names)
    assert not missing, f"not in the sdist: {missing}"
    assert {"pyproject.toml", "README.md"} <= names


def test_wheel_entry_points_name_the_console_scripts(dists: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(dists[0]) as zf:
        (entry,) = (n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt"))
        text = zf.read(entry).decode()
    for line in (
        "conformance = conformance.cli:main",
        "mockserver = mockserver.__main__:main",
        "reference-proxy = reference_impl.__main__:main",
        "conformance = conformance.plugin",
    ):
        assert line in text


def test_unpacked_wheel_imports_every_module_and_opens_its_data(
    dists: tuple[Path, Path], tmp_path: Path
) -> None:
    """Every module imports from the unpacked wheel (not the checkout) and the data the
    code opens is found there: OpenAPI documents, templates, the node script."""
    site = tmp_path / "site"
    with zipfile.ZipFile(dists[0]) as zf:
        zf.extractall(site)
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        from importlib import resources
        from pathlib import Path
        site = Path(sys.argv[1]).resolve()
        sys.path.insert(0, str(site))
        tops = sys.argv[2:]
        for top in tops:
            package = importlib.import_module(top)
            assert Path(package.__file__).resolve().is_relative_to(site), package.__file__
            for info in pkgutil.walk_packages(package.__path__, top + "."):
                importlib.import_module(info.name)
        import spec
        for name in spec.DOCUMENTS:
            assert spec.load_document(name), name
        from reports.render_jinja import html_env, markdown_env
        env = html_env()
        templates = set(env.list_templates())
        assert {"report.md.j2", "report.html.j2", "matrix.md.j2"} <= templates, templates
        for template in templates:
            env.loader.get_source(env, template)
        assert markdown_env().list_templates() == env.list_templates()
        assert resources.files("conformance").joinpath("node", "replay.mjs").is_file()
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", script, str(site), *PRODUCT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
