"""Wiring from settings: in AWS the archive's password comes from a Secrets Manager secret."""

import json
from pathlib import Path

import pytest

from shared import bootstrap
from shared.lists.archive import ArchiveUnavailable
from shared.settings import Settings
from tests.support.aws import Aws


def test_the_archive_password_comes_from_the_secret(aws: Aws, mysql_url: str) -> None:
    secrets = aws.client("secretsmanager")
    arn = secrets.create_secret(Name=f"archive-{mysql_url[-12:]}", SecretString=json.dumps({"password": ""}))[
        "ARN"
    ]
    # The URL carries a wrong password: only the secret's may be used.
    url = mysql_url.replace("mysql://root@", "mysql://root:wrong@")
    archive = bootstrap.archive(Settings(archive_url=url, archive_secret_arn=arn))
    assert archive.migrate()[0] == "1: CREATE TABLE IF NOT EXISTS archive"
    archive.close()


def test_a_secret_that_cannot_be_read_leaves_the_archive_unavailable(aws: Aws, tmp_path: Path) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-archive-secret-AbCdEf"
    settings = Settings(archive_url=f"sqlite:///{tmp_path}/archive.db", archive_secret_arn=missing)
    with pytest.raises(ArchiveUnavailable, match=r"the archive.s secret cannot be read: .*ResourceNotFound"):
        bootstrap.archive(settings)


def test_settings_are_read_once_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "LISTMGR_STAGE": "prod",
            "AWS_REGION": "eu-west-1",
            "LISTMGR_TABLE": "t",
            "LISTMGR_STREAM": "s",
            "LISTMGR_ARCHIVE_URL": "mysql://u@h:3306/d",
            "LISTMGR_DEDUP_WINDOW_HOURS": "49",
        }
    )
    assert (settings.stage, settings.region, settings.table_name, settings.stream_name) == (
        "prod",
        "eu-west-1",
        "t",
        "s",
    )
    assert settings.archive_url == "mysql://u@h:3306/d" and settings.dedup.window_hours == 49
    assert Settings.from_env({}).archive_url == "sqlite:///.listmgr/archive.db"
