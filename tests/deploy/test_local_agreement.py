"""What deploys and what `listmgr up` runs come from one serverless.yml: osls's reading of it
(`osls print`, the template of `osls package`) and the local stack's (listmgr.runtime.config,
listmgr.runtime.mappings.sources, listmgr.runtime.resources) must agree on the resources and on
every option of the event source mappings."""

import json
from typing import Any

from listmgr.runtime import config as configuration
from listmgr.runtime.functions import functions_of
from listmgr.runtime.mappings.sources import StreamSource, sources_of
from listmgr.runtime.resources import LOCAL_TYPES
from services.api.auth import KeyRing
from tests.support.aws import ROOT, Deployed
from tests.support.packaging import STAGE, Packaged, resources_of_type

DYNAMODB_STREAM_RETENTION_HOURS = 24


def test_osls_and_the_local_stack_resolve_the_same_resources(
    printed: dict[str, Any], local_config: configuration.ServerlessConfig
) -> None:
    assert printed["resources"] == local_config.data["resources"]


def test_osls_and_the_local_stack_resolve_the_same_functions(
    printed: dict[str, Any], local_config: configuration.ServerlessConfig
) -> None:
    def settings(functions: dict[str, Any]) -> dict[str, Any]:
        compared = ("handler", "role", "memorySize", "timeout", "reservedConcurrency")
        return {
            key: {**{name: spec.get(name) for name in compared}, "events": spec.get("events") or []}
            for key, spec in functions.items()
        }

    assert settings(printed["functions"]) == settings(local_config.functions)


def test_the_template_holds_the_resources_as_written(
    packaged: Packaged, local_config: configuration.ServerlessConfig
) -> None:
    template = packaged.template()["Resources"]
    # As osls applies resources.extensions: their Properties over the resource's, key by key.
    extensions = local_config.data["resources"].get("extensions") or {}
    for logical_id, resource in local_config.resources.items():
        extended = {**resource.get("Properties", {}), **extensions.get(logical_id, {}).get("Properties", {})}
        assert template[logical_id] == {**resource, "Properties": extended}, logical_id


def test_the_local_stack_creates_what_it_can_emulate_and_skips_the_rest(
    packaged: Packaged, deployed: Deployed, local_config: configuration.ServerlessConfig
) -> None:
    written = {key: value["Type"] for key, value in local_config.resources.items()}
    assert deployed.resources.created == {key: kind for key, kind in written.items() if kind in LOCAL_TYPES}
    assert deployed.resources.skipped == {
        key: kind for key, kind in written.items() if kind not in LOCAL_TYPES
    }
    assert {"EventsStream", "ListsTable", "StreamFailureQueue"} <= set(deployed.resources.created)


def test_every_event_source_mapping_has_the_options_the_local_mapping_runs_with(
    packaged: Packaged, deployed: Deployed
) -> None:
    loaded = configuration.load(ROOT / "serverless.yml", configuration.Options(stage=deployed.stage))
    local = {
        key: sources_of(key, spec.get("events") or [], deployed.resources.resolve)
        for key, spec in loaded.functions.items()
    }
    mappings = resources_of_type(packaged.template(), "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == sum(len(sources) for sources in local.values())
    for mapping in mappings.values():
        properties = mapping["Properties"]
        function_key = _function_key(properties["FunctionName"])
        (source,) = local[function_key]
        assert _as_local(properties, deployed) == source, function_key


def test_functions_run_locally_with_the_memory_timeout_and_concurrency_they_deploy_with(
    packaged: Packaged, local_config: configuration.ServerlessConfig
) -> None:
    template = resources_of_type(packaged.template(), "AWS::Lambda::Function")
    deployed = {
        _function_key({"Fn::GetAtt": [logical, "Arn"]}): (
            properties["MemorySize"],
            properties["Timeout"],
            properties["ReservedConcurrentExecutions"],
        )
        for logical, properties in ((logical, f["Properties"]) for logical, f in template.items())
    }
    local = {
        key: (function.memory, function.timeout, function.concurrency)
        for key, function in functions_of(local_config, STAGE, "us-east-1").items()
    }
    assert deployed == local


def test_the_environment_agrees_but_for_where_the_archive_lives(
    packaged: Packaged, local_config: configuration.ServerlessConfig
) -> None:
    provider = local_config.data["provider"]["environment"]
    for name, declared in local_config.functions.items():
        local = {**provider, **(declared.get("environment") or {})}
        function = packaged.template()["Resources"][f"{name.title()}LambdaFunction"]
        variables = dict(function["Properties"]["Environment"]["Variables"])
        archive = variables.pop("LISTMGR_ARCHIVE_URL", None)
        assert archive is None or archive == "mysql://listmgr@archive.db.internal:3306/listmgr"
        assert variables == {name: local[name] for name in variables}
    assert local_config.environment()["LISTMGR_ARCHIVE_URL"] == "sqlite:///.listmgr/archive.db"


def test_the_dedup_window_outlasts_every_way_a_record_comes_back(
    local_config: configuration.ServerlessConfig,
) -> None:
    window_hours = int(local_config.environment()["LISTMGR_DEDUP_WINDOW_HOURS"])
    retention_hours = local_config.resources["EventsStream"]["Properties"]["RetentionPeriodHours"]
    assert window_hours > max(retention_hours, DYNAMODB_STREAM_RETENTION_HOURS)
    for spec in local_config.functions.values():
        for event in spec.get("events") or []:
            if "stream" in event:
                assert window_hours * 3600 > event["stream"]["maximumRecordAgeInSeconds"]


def test_the_secrets_start_in_the_shape_the_functions_read(packaged: Packaged) -> None:
    resources = packaged.template()["Resources"]
    keys = json.loads(resources["ApiKeysSecret"]["Properties"]["SecretString"])
    assert KeyRing.from_document(keys).keys == ()
    generated = resources["ArchiveSecret"]["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "password"  # what shared/bootstrap.py reads


# -- helpers ----------------------------------------------------------------------------------


def _function_key(function_name: Any) -> str:
    """`listener` for {"Fn::GetAtt": ["ListenerLambdaFunction", "Arn"]}."""
    logical = function_name["Fn::GetAtt"][0]
    return str(logical.removesuffix("LambdaFunction")).lower()


def _as_local(properties: dict[str, Any], deployed: Deployed) -> StreamSource:
    """An event source mapping of the template read the way Lambda reads it (its defaults for
    what is absent), its ARNs resolved against the resources `listmgr up` created."""
    arn = deployed.resources.resolve(properties["EventSourceArn"])
    on_failure = (properties.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
    filters = (properties.get("FilterCriteria") or {}).get("Filters") or []
    return StreamSource(
        function_key=_function_key(properties["FunctionName"]),
        kind="dynamodb" if ":dynamodb:" in arn else "kinesis",
        arn=arn,
        batch_size=properties.get("BatchSize", 100),
        batch_window=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
        starting_position=properties["StartingPosition"],
        starting_position_timestamp=properties.get("StartingPositionTimestamp"),
        enabled=properties.get("Enabled", True),
        maximum_retry_attempts=properties.get("MaximumRetryAttempts", -1),
        maximum_record_age=properties.get("MaximumRecordAgeInSeconds", -1),
        bisect=properties.get("BisectBatchOnFunctionError", False),
        report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
        on_failure=None if on_failure is None else deployed.resources.resolve(on_failure),
        parallelization_factor=properties.get("ParallelizationFactor", 1),
        tumbling_window=properties.get("TumblingWindowInSeconds", 0),
        filter_patterns=tuple(json.loads(f["Pattern"]) for f in filters),
    )
