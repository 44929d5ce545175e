"""The mapping fixture project (tests/fixtures/mappings) deployed under a stage of each test's own,
with what its tests need: start one function's mapping, put records, read what the function
recorded and what reached the failure destinations."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from listmgr.runtime import config as configuration
from listmgr.runtime.resources import deploy
from tests.support.aws import Aws
from tests.support.mapping_project import FIXTURE, MappingProject


@pytest.fixture
def project(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MappingProject]:
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    monkeypatch.setenv("MAPPING_RECORDINGS", str(recordings))
    stage = "m" + uuid.uuid4().hex[:10]
    loaded = configuration.load(FIXTURE, configuration.Options(stage=stage))
    resources = deploy(loaded, aws.client, f"{loaded.service}-{stage}")
    running = MappingProject(aws, stage, recordings, tmp_path / "checkpoints", resources)
    yield running
    running.stop()
