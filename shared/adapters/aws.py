"""boto3 clients with the retry and timeout policy of the function they run in.

botocore's `standard` retry mode retries throttling and transient server errors (a read timeout
included) with exponential backoff and jitter; connectors only deal with what is left after it.
Its defaults (60 s read timeout, several attempts) add up to minutes, longer than any of our
functions may run, so a hung call would end in a Lambda timeout, which retries the whole batch,
instead of an error the code can handle. Each function sets `ClientLimits` (serverless.yml,
`LISTMGR_AWS_*`) so that `worst_case_seconds` fits inside its timeout.

The endpoint comes from `AWS_ENDPOINT_URL`, which boto3 honours for every client, so the same
code talks to AWS or to the local stack.

Every client comes from one session: a session loads botocore's endpoint data and registers its
handlers when it makes its first client (about 25 ms on a cold start), and each further client
of the same session skips that. A session is not thread-safe while it makes a client (clients
are), so making one is serialized. Its data loader (`service_loader`) loads botocore's own data,
the same models and endpoints, in half the time of botocore's: that is 30 to 40 ms of every
cold start that the boto3 baseline pays and ours does not (docs/benchmarks.md, "Cold start").
"""

import gzip
import json
import os
import threading
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader, create_loader, instance_cache

from shared.settings import ClientLimits

# botocore's standard mode (botocore/retries/standard.py, ExponentialBackoff) sleeps before
# retry k (k = 1, 2, ...) up to min(2 ** (k - 1), 20) s after a throttling error (1 s base; 50 ms
# after others), and a service's x-amz-retry-after header may raise that by up to 5 s.
THROTTLING_BASE = 1.0
BACKOFF_CAP = 20.0
RETRY_AFTER_EXTRA = 5.0


def client_config(limits: ClientLimits) -> Config:
    # No client-side parameter validation: the adapters build every request themselves, the
    # service validates it anyway (a refusal is a ValidationException the adapters handle), and
    # botocore's walk of every attribute of every item against the model cost the listener more
    # CPU than building the requests.
    return Config(
        retries={"mode": "standard", "total_max_attempts": limits.max_attempts},
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.read_timeout,
        max_pool_connections=20,
        parameter_validation=False,
    )


def worst_case_seconds(limits: ClientLimits) -> float:
    """The longest one call can take before it raises: every attempt waits out its connect and
    read timeouts, and every retry sleeps its longest backoff."""
    attempts = limits.max_attempts
    backoff = sum(
        min(BACKOFF_CAP, THROTTLING_BASE * float(2 ** (retry - 1))) + RETRY_AFTER_EXTRA
        for retry in range(1, attempts)
    )
    return attempts * (limits.connect_timeout + limits.read_timeout) + backoff


class DictFileLoader(JSONFileLoader):  # type: ignore[misc]  # botocore has no type hints
    """botocore's JSON file loader, reading into plain dicts, ordered as the OrderedDicts that
    botocore's makes: half the parsing time of endpoints.json (1.2 MB, read by every first
    client), and nothing in botocore asks for more of them than a dict's order."""

    def load_file(self, file_path: str) -> Any:
        for extension, opener in ((".json", open), (".json.gz", gzip.open)):
            if os.path.isfile(file_path + extension):
                with opener(file_path + extension, "rb") as data:
                    return json.loads(data.read().decode("utf-8"))
        return None


class ServiceLoader(Loader):  # type: ignore[misc]  # botocore has no type hints
    """botocore's loader, loading the same models, but without its check that a service's name
    is one of those it knows, for which it lists every folder of its data (about 450 services,
    once for the models and once for their endpoint rules: 20 ms of every cold start, which
    the name's own folder answers as well)."""

    @instance_cache  # type: ignore[untyped-decorator]
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        try:
            versions = self.list_api_versions(service_name, type_name)
        except DataNotFoundError:
            # No such service: botocore's own answer, an error that names the known ones.
            return super().load_service_model(service_name, type_name, api_version)
        version = api_version or max(versions)
        model = self.load_data(os.path.join(service_name, version, type_name))
        self._extras_processor.process(model, self._find_extras(service_name, type_name, version))
        return model


def service_loader(data_path: str | None) -> ServiceLoader:
    """The loader botocore's session would make for `data_path` (AWS_DATA_PATH): the same search
    paths in the same order, as a ServiceLoader reading files with a DictFileLoader."""
    return ServiceLoader(
        extra_search_paths=create_loader(data_path).search_paths,
        file_loader=DictFileLoader(),
        include_default_search_paths=False,
    )


_making_clients = threading.Lock()


@cache
def _session() -> boto3.session.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", service_loader(core.get_config_variable("data_path")))
    return boto3.session.Session(botocore_session=core)


@cache
def client(service: str, region: str, limits: ClientLimits | None = None) -> Any:
    config = client_config(limits or ClientLimits())
    with _making_clients:
        made = _session().client(service, region_name=region, config=config)
    if service == "dynamodb":
        # Imported here: the adapter's module pulls in nothing a function that only needs
        # another service should pay for.
        from shared.adapters.dynamodb.requests import write_plainly  # noqa: PLC0415

        write_plainly(made)
    return made


def secret_json(secret_arn: str, region: str, limits: ClientLimits | None = None) -> dict[str, Any]:
    """A Secrets Manager secret's JSON value."""
    response = client("secretsmanager", region, limits).get_secret_value(SecretId=secret_arn)
    value: dict[str, Any] = json.loads(response["SecretString"])
    return value
