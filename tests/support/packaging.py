"""What `osls` makes of serverless.yml, offline: packages, templates, the tools that check them."""

import json
import os
import subprocess
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import ROOT

OSLS = ROOT / "node_modules" / ".bin" / "osls"


TOOLS = ROOT / ".venv-tools" / "bin"


STAGE = "dev"


SERVICE = "list-manager"


@dataclass(frozen=True)
class Packaged:
    directory: Path
    """The copy of the project osls ran in."""

    @property
    def artifact(self) -> Path:
        return self.directory / ".serverless" / f"{SERVICE}.zip"

    @property
    def template_path(self) -> Path:
        return self.directory / ".serverless" / "cloudformation-template-update-stack.json"

    def template(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.template_path.read_text())
        return loaded

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.artifact) as archive:
            return archive.namelist()


def offline_environment() -> dict[str, str]:
    """This process's environment without AWS credentials or the project's own settings, so
    serverless.yml resolves to its written defaults, for osls and the local loader alike."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "LISTMGR_", "SLS_", "SERVERLESS_"))
    }
    environment.update(AWS_ACCESS_KEY_ID="offline", AWS_SECRET_ACCESS_KEY="offline")
    return environment


def run(command: list[str], cwd: Path, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, env=offline_environment(), capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode not in ok_codes:
        pytest.fail(
            f"{' '.join(command)} exited {done.returncode}\n--- stdout\n{done.stdout[-4000:]}"
            f"\n--- stderr\n{done.stderr[-4000:]}"
        )
    return done


def osls(
    directory: Path, *arguments: str, ok_codes: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    return run([str(OSLS), *arguments, "--stage", STAGE], directory, ok_codes)


def tool(name: str) -> Path:
    path = TOOLS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make tools` (`make test` does)")
    return path


def resources_of_type(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


# What every deployment must say (docs/deploying.md): the MySQL archive's host has no default.
REQUIRED_PARAMS = ("--param=dbHost=archive.db.internal",)


def cfn_lint_findings(template: Path) -> str:
    """cfn-lint's errors and warnings on a template, as text; "" when there are none."""
    # W3005 (a DependsOn that a Ref already implies) is osls's own doing: it adds DependsOn on the
    # roles and log groups it also refers to. cfn-lint's exit code is a bit mask: 2 errors,
    # 4 warnings, 8 informational.
    linted = run(
        [str(tool("cfn-lint")), "--ignore-checks", "W3005", "--", str(template)],
        template.parent,
        ok_codes=(0, 2, 4, 6, 8, 10, 12, 14),
    )
    return linted.stdout if linted.returncode & 6 else ""


def checkov_findings(template: Path) -> list[str]:
    """checkov's failed checks, and the skipped ones that do not say why (a comment of 40
    characters at least, next to the resource it concerns), on a template."""
    scanned = run(
        [
            str(tool("checkov")),
            "--file",
            str(template),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ],
        template.parent,
        ok_codes=(0, 1),
    )
    report = json.loads(scanned.stdout)
    assert report["summary"]["parsing_errors"] == 0
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]
    ]
    unexplained = [
        f"{c['check_id']} {c['resource']}: skipped without a reason"
        for c in report["results"]["skipped_checks"]
        if len(c["check_result"].get("suppress_comment", "")) < 40
    ]
    return failed + unexplained
