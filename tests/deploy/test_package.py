"""The deployment artifact `osls package` builds: the functions' code and their pinned
dependencies, built for the runtime the template names, and nothing else."""

import ast
import re
import sys
from pathlib import Path

from tests.support.aws import ROOT
from tests.support.packaging import Packaged

# Lambda's limits for a .zip function: 50 MB uploaded directly, 250 MB unzipped (osls uploads
# through S3, so only the second binds; staying under both leaves every way of deploying open).
ZIPPED_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024
CODE = ("services", "shared")


def test_the_artifact_holds_every_handler_bytecode_and_no_tests_tools_or_caches(packaged: Packaged) -> None:
    names = packaged.names()
    for handler in ("listener", "trigger", "api", "admin"):
        assert f"services/{handler}/handler.py" in names
    assert "shared/events/schemas" in {str(Path(name).parent) for name in names}
    unwanted = re.compile(
        # the project's own folders and files other than the functions' code (the
        # requirements.txt at the top is serverless-python-requirements' list of what it packed)
        r"^(tests|listmgr|bench|docs|examples|node_modules|\.venv[^/]*|\.serverless|\.git|\.listmgr)/"
        r"|^(serverless\.yml|package(-lock)?\.json|pyproject\.toml|Makefile|README\.md)$"
        # caches anywhere
        r"|(^|/)(__pycache__|\.mypy_cache|\.pytest_cache|\.ruff_cache|\.hypothesis)/|\.py[co]$"
    )
    # The bytecode compile_bytecode.py adds (artifact/), for the runtime's CPython only.
    bytecode = re.compile(r"(^|/)__pycache__/[^/]+\.cpython-312\.pyc$")
    assert [name for name in names if unwanted.search(name) and not bytecode.search(name)] == []


def test_the_artifact_holds_the_consoles_files_which_the_api_serves_at_ui(packaged: Packaged) -> None:
    static = ROOT / "services" / "api" / "console" / "static"
    expected = {f"services/api/console/static/{path.name}" for path in static.iterdir()}
    assert "services/api/console/static/index.html" in expected
    assert expected <= set(packaged.names())


def test_the_artifact_holds_the_pinned_dependencies_and_no_others(packaged: Packaged) -> None:
    pinned = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    packed = {
        match["name"]: match["version"]
        for name in packaged.names()
        if (match := re.match(r"(?P<name>[^/]+)-(?P<version>[^-/]+)\.dist-info/METADATA$", name))
    }
    normalized = {_normalize(name): version for name, version in packed.items()}
    assert {_normalize(name): version for name, version in pinned.items()}.items() <= normalized.items()


def test_compiled_modules_are_built_for_the_functions_runtime(packaged: Packaged) -> None:
    template = packaged.template()
    runtimes = {
        (resource["Properties"]["Runtime"], tuple(resource["Properties"]["Architectures"]))
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert runtimes == {("python3.12", ("arm64",))}
    extensions = [name for name in packaged.names() if name.endswith(".so")]
    assert extensions, "pydantic-core at least is compiled"
    assert [name for name in extensions if not name.endswith(".cpython-312-aarch64-linux-gnu.so")] == []


def test_everything_the_functions_import_is_in_the_artifact(packaged: Packaged) -> None:
    top_level = {name.split("/")[0].removesuffix(".py") for name in packaged.names()}
    missing = {
        (str(path.relative_to(ROOT)), module)
        for path in _sources()
        for module in _imported(path)
        if module not in top_level and module not in sys.stdlib_module_names
    }
    assert missing == set()


def test_the_artifact_fits_lambda(packaged: Packaged) -> None:
    import zipfile  # noqa: PLC0415

    with zipfile.ZipFile(packaged.artifact) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    assert packaged.artifact.stat().st_size < ZIPPED_LIMIT
    assert unzipped < UNZIPPED_LIMIT


def _sources() -> list[Path]:
    return sorted(path for directory in CODE for path in (ROOT / directory).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
