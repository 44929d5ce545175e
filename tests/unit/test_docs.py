"""The README and docs/ as a reader meets them: every relative link leads to a file (and a
heading), every shell and Python block is run by a test or says why it cannot be, and the
modules and functions docs/architecture.md names exist. The blocks that need no running stack
are run here; those that do are run by the tests that name them (tests/e2e, tests/integration)."""

import ast
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from shared.events.partition import partition_key
from tests.support.aws import ROOT
from tests.support.docs import DOCUMENTS, MARKER, NOT_RUN, RUNNABLE, code_block, heading_anchors, links
from tests.support.docs import blocks as blocks_of

LINKED = (*DOCUMENTS, "examples/leaderboard/README.md")
RUNNABLE_BLOCKS = [
    block for document in DOCUMENTS for block in blocks_of(document) if block.language in RUNNABLE
]


def run_by_tests() -> set[tuple[str, str, str]]:
    """(document, language, marker) of every block some test reads with code_block."""
    called = re.compile(
        r'code_block\(\s*"(?P<document>[^"]+)",\s*"(?P<language>[^"]+)",\s*"(?P<marker>[^"]+)"'
    )
    return {
        (found["document"], found["language"], found["marker"])
        for test in (ROOT / "tests").rglob("*.py")
        for found in called.finditer(test.read_text())
    }


@pytest.mark.parametrize("document", LINKED)
def test_every_relative_link_leads_to_a_file_and_its_heading(document: str) -> None:
    broken = []
    for target in links(document):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:: not ours to check offline
        path, _, anchor = target.partition("#")
        linked = (ROOT / document).parent / unquote(path) if path else ROOT / document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked):
            broken.append(f"{target}: no such heading")
    assert broken == [], f"{document}: {broken}"


@pytest.mark.parametrize("block", RUNNABLE_BLOCKS, ids=lambda block: f"{block.document}:{block.line}")
def test_every_shell_and_python_block_is_run_by_a_test_or_says_why_not(block: Any) -> None:
    marker = block.marker or ""
    opted_out, named = NOT_RUN.fullmatch(marker), MARKER.fullmatch(marker)
    if opted_out is not None:
        assert len(opted_out["reason"].split()) >= 4, "say why no test can run it"
        return
    assert named is not None, (
        f"{block.document}:{block.line}: a {block.language} block no test runs; put it between "
        "<!-- name --> and <!-- /name --> and run it by that name, or say why it cannot run "
        "with <!-- not-run: reason --> on the line above it"
    )
    assert (block.document, block.language, named["name"]) in run_by_tests(), (
        f'no test reads code_block("{block.document}", "{block.language}", "{named["name"]}")'
    )


@pytest.mark.parametrize("block", RUNNABLE_BLOCKS, ids=lambda block: f"{block.document}:{block.line}")
def test_every_shell_and_python_block_parses(block: Any) -> None:
    """Opted-out blocks included: a block nobody can run is still one a reader pastes."""
    if block.language == "python":
        ast.parse(block.body)
        return
    bash = shutil.which("bash")
    assert bash is not None
    checked = subprocess.run([bash, "-n"], input=block.body, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def readme_vectors() -> list[tuple[tuple[str, ...], str]]:
    """The README's table of test vectors: (title,) or (title, user), and the key."""
    text = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `(.+?)` \| (`(.+?)`|\(aggregate\)) \| .+? \| `([0-9a-f]{32})` \|$", text, re.M)
    vectors = []
    for title, _, user, key in rows:
        parts = tuple(
            part.replace("`U+2028`", "\u2028").replace("`U+2029`", "\u2029") for part in (title, user)
        )
        vectors.append((parts[:1] if not user else parts, key))
    return vectors


def test_the_readme_partition_key_gives_the_readme_test_vectors() -> None:
    namespace: dict[str, Any] = {}
    exec(code_block("README.md", "python", "partition-key"), namespace)
    vectors = readme_vectors()
    assert len(vectors) == 9
    for parts, key in vectors:
        assert namespace["partition_key"](*parts) == key == partition_key(*parts), parts


def test_a_new_api_key_comes_with_its_own_digest() -> None:
    printed = subprocess.run(
        ["bash", "-e", "-c", code_block("docs/api.md", "sh", "new-api-key")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    key, digest = printed.split()
    assert key.startswith("lm_") and hashlib.sha256(key.encode()).hexdigest() == digest


def test_the_validating_block_accepts_the_envelope_events_md_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the block opens the schema by its path in the repository
    envelope = json.loads(code_block("docs/events.md", "json"))
    assert envelope["type"] == "aggregate-list-updated"
    exec(code_block("docs/events.md", "python", "validate-event"), {"event": envelope})


def update_path() -> list[tuple[str, str]]:
    """(module, name) of each hop of docs/architecture.md's table of one update."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("<!-- update-path -->")[1].split("<!-- /update-path -->")[0]
    return re.findall(r"^\| .+? \| `([^`]+)` \| `([^`]+)` \|$", table, re.M)


def defines(module: Path, name: str) -> bool:
    """Whether `module` defines `name`: a function, a class or a module constant, or
    `Class.method`."""
    tree = ast.parse(module.read_text())
    scope: list[ast.stmt] = tree.body
    *owners, last = name.split(".")
    for part in owners:
        owner = next((node for node in scope if isinstance(node, ast.ClassDef) and node.name == part), None)
        if owner is None:
            return False
        scope = owner.body
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == last:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(target, ast.Name) and target.id == last for target in targets):
            return True
    return False


def test_the_path_of_one_update_names_functions_that_exist() -> None:
    hops = update_path()
    assert len(hops) > 30
    missing = [f"{module}: {name}" for module, name in hops if not defines(ROOT / module, name)]
    assert missing == []


def test_the_names_where_a_change_goes_exist() -> None:
    """`module.py` (... `name` ...) and `name` of `module.py`: each name is defined there."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    cited = re.findall(r"`([\w/]+\.py)` \(([^)]*)\)", text)
    pairs = [
        (module, name)
        for module, words in cited
        for name in re.findall(r"`([A-Za-z_][\w.]*)`", words)
        if not name.endswith(".py")
    ]
    pairs += [(module, name) for name, module in re.findall(r"`(\w+)` of `([\w/]+\.py)`", text)]
    assert len(pairs) > 10
    assert [f"{module}: {name}" for module, name in pairs if not defines(ROOT / module, name)] == []


def test_every_path_docs_architecture_names_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`((?:shared|services|listmgr|tests|bench|examples)/[\w/.]*)`", text))
    assert len(named) > 40
    assert sorted(path for path in named if "<" not in path and not (ROOT / path).exists()) == []
