"""Every function's AWS clients give up within its own timeout: the worst case of one call
(every attempt timing out, every backoff at its longest) against serverless.yml. Their session
loads botocore's data as botocore does, without its listing of every service."""

import json
import os
from pathlib import Path

import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader, create_loader

from listmgr.runtime import config as configuration
from shared.adapters.aws import (
    DictFileLoader,
    ServiceLoader,
    _session,
    client_config,
    service_loader,
    worst_case_seconds,
)
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


SERVICES = ("dynamodb", "kinesis", "secretsmanager", "xray")


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("kind", ["service-2", "endpoint-rule-set-1", "paginators-1"])
def test_the_service_loader_loads_what_botocores_loader_does(service: str, kind: str) -> None:
    ours, botocores = service_loader(None), Loader()
    # Equal in content and in the order of every key: a dict keeps the JSON's as OrderedDict does.
    expected = json.dumps(botocores.load_service_model(service, kind))
    assert json.dumps(ours.load_service_model(service, kind)) == expected
    version = botocores.determine_latest_version(service, kind)
    assert json.dumps(ours.load_service_model(service, kind, version)) == expected


@pytest.mark.parametrize("name", ["endpoints", "partitions", "sdk-default-configuration", "_retry"])
def test_the_service_loader_reads_botocores_data_files_as_they_are(name: str) -> None:
    assert json.dumps(service_loader(None).load_data(name)) == json.dumps(Loader().load_data(name))


def test_an_unknown_service_is_refused_as_botocore_refuses_it() -> None:
    with pytest.raises(UnknownServiceError, match="dynamodb"):
        service_loader(None).load_service_model("no-such-service", "service-2")


def test_the_service_loader_keeps_botocores_search_paths(tmp_path: Path) -> None:
    data_path = f"{tmp_path}/models{os.pathsep}~/more"
    assert service_loader(data_path).search_paths == create_loader(data_path).search_paths


def test_clients_are_made_without_listing_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    def listing(self: Loader, type_name: str) -> list[str]:
        raise AssertionError(f"listed every service for {type_name}")

    monkeypatch.setattr(Loader, "list_available_services", listing)
    session = botocore.session.get_session()
    session.register_component("data_loader", service_loader(None))
    for service in SERVICES:
        session.create_client(service, "us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
    loader = _session()._session.get_component("data_loader")
    assert isinstance(loader, ServiceLoader) and isinstance(loader.file_loader, DictFileLoader)
