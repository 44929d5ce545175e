"""Every function's AWS clients give up within its own timeout: the worst case of one call
(every attempt timing out, every backoff at its longest) against serverless.yml."""

from pathlib import Path

import pytest

from listmgr.runtime import config as configuration
from shared.adapters.aws import client_config, worst_case_seconds
from shared.settings import ClientLimits, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_worst_case_adds_every_timeout_and_the_longest_backoffs() -> None:
    # 3 attempts of 2 + 10 s; before the 2nd and 3rd, backoffs of at most 1 and 2 s, each raised
    # by up to 5 s by a retry-after header.
    assert worst_case_seconds(ClientLimits(connect_timeout=2, read_timeout=10, max_attempts=3)) == 36 + 6 + 7
    # The backoff is capped at 20 s: 1 + 2 + 4 + 8 + 16 + 20, and 6 x 5 s.
    assert worst_case_seconds(ClientLimits(connect_timeout=1, read_timeout=1, max_attempts=7)) == 14 + 51 + 30
    assert worst_case_seconds(ClientLimits(connect_timeout=1, read_timeout=4, max_attempts=1)) == 5


def test_the_limits_become_botocore_settings() -> None:
    config = client_config(ClientLimits(connect_timeout=1.5, read_timeout=4, max_attempts=2))
    assert (config.connect_timeout, config.read_timeout) == (1.5, 4)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}


@pytest.mark.parametrize("function", ["listener", "trigger", "api", "admin"])
def test_each_functions_clients_give_up_within_its_timeout(function: str) -> None:
    loaded = configuration.load(ROOT / "serverless.yml", configuration.Options(stage="dev", env={}))
    declared = loaded.functions[function]
    environment = {**loaded.data["provider"]["environment"], **declared.get("environment", {})}
    assert {"LISTMGR_AWS_CONNECT_TIMEOUT", "LISTMGR_AWS_READ_TIMEOUT", "LISTMGR_AWS_MAX_ATTEMPTS"} <= set(
        environment
    ), "each function states its own limits"
    limits = Settings.from_env({name: str(value) for name, value in environment.items()}).aws
    # Within the function's timeout, with room left for the work around the call.
    assert worst_case_seconds(limits) <= 0.8 * declared["timeout"]
    assert limits.max_attempts >= 2, "a throttled call is retried at least once"
