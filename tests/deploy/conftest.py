"""What `osls` makes of serverless.yml, offline: the package, the CloudFormation template and the
resolved configuration, each made once per session.

osls runs in a copy of the project (its files as git sees them, with node_modules linked in), so
these tests never write into the working tree and a package made here is the one a clean clone
makes. The tools come from `make tools` (`make test` runs it): osls and its plugins from
package-lock.json, cfn-lint and checkov from .venv-tools.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from listmgr.runtime import config as configuration
from tests.support.aws import ROOT
from tests.support.packaging import OSLS, REQUIRED_PARAMS, STAGE, Packaged, offline_environment, osls


@pytest.fixture(scope="session")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not OSLS.exists():
        pytest.fail(f"{OSLS} is missing: run `make tools` (`make test` does)")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    copy = tmp_path_factory.mktemp("project")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
    return copy


@pytest.fixture(scope="session")
def packaged(project_copy: Path) -> Packaged:
    osls(project_copy, "package", *REQUIRED_PARAMS)
    return Packaged(project_copy)


@pytest.fixture(scope="session")
def printed(project_copy: Path) -> dict[str, Any]:
    """`osls print`: serverless.yml with every variable resolved, as osls deploys it."""
    resolved: dict[str, Any] = json.loads(
        osls(project_copy, "print", "--format", "json", *REQUIRED_PARAMS).stdout
    )
    return resolved


@pytest.fixture(scope="session")
def local_config() -> configuration.ServerlessConfig:
    """serverless.yml as `listmgr up` reads it."""
    return configuration.load(
        ROOT / "serverless.yml", configuration.Options(stage=STAGE, env=offline_environment())
    )
