"""serverless.yml's fallbacks as `listmgr up` reads them: like the Framework, a variable's
fallback may be another source (`${param:dbHost, self:custom.x}`), which must then resolve."""

from pathlib import Path

import pytest

from listmgr.runtime import config as configuration


def load(tmp_path: Path, text: str) -> configuration.ServerlessConfig:
    path = tmp_path / "serverless.yml"
    path.write_text(text)
    return configuration.load(path, configuration.Options(stage="dev", env={}))


def test_a_fallback_that_is_a_source_is_looked_up(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        "service: s\ncustom:\n  archive: local\n  hosts:\n    local: localhost\n"
        "  url: mysql://${param:dbHost, self:custom.hosts.${self:custom.archive}}:3306\n",
    )
    assert loaded.data["custom"]["url"] == "mysql://localhost:3306"


def test_a_fallback_source_that_resolves_to_nothing_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(configuration.ConfigError, match=r"self:custom\.hosts\.mysql"):
        load(
            tmp_path,
            "service: s\ncustom:\n  hosts:\n    local: localhost\n"
            "  url: mysql://${param:dbHost, self:custom.hosts.mysql}:3306\n",
        )


def test_a_quoted_fallback_stays_a_literal(tmp_path: Path) -> None:
    loaded = load(tmp_path, "service: s\ncustom:\n  stage: ${param:stage, 'self:custom.x'}\n")
    assert loaded.data["custom"]["stage"] == "self:custom.x"


def test_a_conditional_on_resources_the_local_stack_skips_resolves_to_nothing() -> None:
    # LISTMGR_ARCHIVE_SECRET_ARN is !If [CreateArchiveSecret, !Ref ArchiveSecret, !Ref ArchiveSecretArn]:
    # locally there is no secret, so the variable must be left out, not set to the expression.
    from listmgr.runtime.resources import LocalResources  # noqa: PLC0415

    chosen = {"Fn::If": ["CreateArchiveSecret", {"Ref": "ArchiveSecret"}, {"Ref": "ArchiveSecretArn"}]}
    assert LocalResources("s").resolve({"LISTMGR_ARCHIVE_SECRET_ARN": chosen}) == {
        "LISTMGR_ARCHIVE_SECRET_ARN": None
    }
