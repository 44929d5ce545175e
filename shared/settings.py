"""Configuration, read once at an entrypoint into a typed object and passed on from there."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.lists.dedup import DedupSettings

DEFAULT_ARCHIVE_URL = "sqlite:///.listmgr/archive.db"


@dataclass(frozen=True)
class ClientLimits:
    """How long one AWS call may take, retries included (shared/adapters/aws.py). Each
    function sets its own in serverless.yml, so the worst case fits inside its timeout."""

    connect_timeout: float = 2.0
    read_timeout: float = 10.0
    max_attempts: int = 3
    """Attempts in all, the first included (botocore's `total_max_attempts`)."""


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
    aws: ClientLimits = field(default_factory=ClientLimits)
    api_keys_max_age_seconds: float = 300.0
    """How long a container keeps the key ring before reading the secret again: a revoked key
    keeps working for at most this long."""
    api_keys_recheck_seconds: float = 10.0
    """An unknown key reads the secret again (a key just added), at most once per this interval."""
    health_cache_seconds: float = 10.0
    """How long GET /health answers from its last checks instead of calling every dependency."""

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
            aws=ClientLimits(
                connect_timeout=float(env.get("LISTMGR_AWS_CONNECT_TIMEOUT", defaults.aws.connect_timeout)),
                read_timeout=float(env.get("LISTMGR_AWS_READ_TIMEOUT", defaults.aws.read_timeout)),
                max_attempts=int(env.get("LISTMGR_AWS_MAX_ATTEMPTS", defaults.aws.max_attempts)),
            ),
            api_keys_max_age_seconds=float(
                env.get("LISTMGR_API_KEYS_MAX_AGE_SECONDS", defaults.api_keys_max_age_seconds)
            ),
            api_keys_recheck_seconds=float(
                env.get("LISTMGR_API_KEYS_RECHECK_SECONDS", defaults.api_keys_recheck_seconds)
            ),
            health_cache_seconds=float(
                env.get("LISTMGR_HEALTH_CACHE_SECONDS", defaults.health_cache_seconds)
            ),
            dedup=DedupSettings(
                window_hours=int(env.get("LISTMGR_DEDUP_WINDOW_HOURS", defaults.dedup.window_hours)),
                retention_hours=int(
                    env.get("LISTMGR_STREAM_RETENTION_HOURS", defaults.dedup.retention_hours)
                ),
            ),
        )
