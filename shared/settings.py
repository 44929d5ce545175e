"""Configuration, read once at an entrypoint into a typed object and passed on from there."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.lists.dedup import DedupSettings

DEFAULT_ARCHIVE_URL = "sqlite:///.listmgr/archive.db"


@dataclass(frozen=True)
class Settings:
    stage: str = "dev"
    region: str = "us-east-1"
    table_name: str = "list-manager-dev-lists"
    stream_name: str = "list-manager-dev-events"
    archive_url: str = DEFAULT_ARCHIVE_URL
    archive_secret_arn: str | None = None
    """A Secrets Manager secret whose JSON `password` replaces the archive URL's password."""
    api_keys_secret_arn: str | None = None
    api_keys: str | None = None
    """API keys as JSON (see services/api/auth.py), when not read from a secret."""
    api_reads_need_key: bool = False
    """Whether reads, like writes, need an API key; by default they are public."""
    dedup: DedupSettings = field(default_factory=DedupSettings)
    failure_queue_name: str = "list-manager-dev-stream-failures"
    """The stream functions' on-failure queue, which the admin function re-drives."""
    log_level: str = "INFO"
    """The functions' log level (DEBUG, INFO, WARNING, ERROR); metrics are written at any level."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            stage=env.get("LISTMGR_STAGE", defaults.stage),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or defaults.region,
            table_name=env.get("LISTMGR_TABLE", defaults.table_name),
            stream_name=env.get("LISTMGR_STREAM", defaults.stream_name),
            archive_url=env.get("LISTMGR_ARCHIVE_URL", defaults.archive_url),
            archive_secret_arn=env.get("LISTMGR_ARCHIVE_SECRET_ARN") or None,
            api_keys_secret_arn=env.get("LISTMGR_API_KEYS_SECRET_ARN") or None,
            api_keys=env.get("LISTMGR_API_KEYS") or None,
            api_reads_need_key=env.get("LISTMGR_API_READS_NEED_KEY", "").lower() in ("1", "true", "yes"),
            failure_queue_name=env.get("LISTMGR_FAILURE_QUEUE_NAME", defaults.failure_queue_name),
            log_level=env.get("LISTMGR_LOG_LEVEL", defaults.log_level).strip().upper() or defaults.log_level,
            dedup=DedupSettings(
                window_hours=int(env.get("LISTMGR_DEDUP_WINDOW_HOURS", defaults.dedup.window_hours)),
                retention_hours=int(
                    env.get("LISTMGR_STREAM_RETENTION_HOURS", defaults.dedup.retention_hours)
                ),
            ),
        )
