"""What a deployment must not lose or get wrong (issue "Deploy hardening"): the secrets outlive a
removal and can be taken back, the archive's host is required, every AWS call gives up within its
function's timeout, the alarms fire on what breaks, the build is locked and ships bytecode."""

import re
from pathlib import Path
from typing import Any

import pytest

from artifact.compile_bytecode import find_python
from shared.adapters.aws import worst_case_seconds
from shared.settings import Settings
from tests.support.aws import ROOT
from tests.support.grants import FUNCTIONS
from tests.support.packaging import Packaged, osls, resources_of_type

SECRETS = {"ArchiveSecret": "ArchiveSecretArn", "ApiKeysSecret": "ApiKeysSecretArn"}


# -- 1. secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("secret", "parameter"), SECRETS.items())
def test_a_secret_outlives_its_stage_and_can_be_taken_back(
    packaged: Packaged, secret: str, parameter: str
) -> None:
    template = packaged.template()
    created = template["Resources"][secret]
    assert (created["DeletionPolicy"], created["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # No fixed name: a stage deployed again beside a retained secret creates a new one instead of
    # failing with "already exists", or takes the retained one back through the parameter.
    assert "Name" not in created["Properties"]
    condition = f"Create{secret}"
    assert created["Condition"] == condition
    assert template["Conditions"][condition] == {"Fn::Equals": [{"Ref": parameter}, ""]}
    assert template["Parameters"][parameter]["Default"] == ""
    chosen = {"Fn::If": [condition, {"Ref": secret}, {"Ref": parameter}]}
    assert template["Outputs"][parameter]["Value"] == chosen
    readers = [
        function["Properties"]["Environment"]["Variables"]
        for function in resources_of_type(template, "AWS::Lambda::Function").values()
    ]
    variable = {
        "ArchiveSecret": "LISTMGR_ARCHIVE_SECRET_ARN",
        "ApiKeysSecret": "LISTMGR_API_KEYS_SECRET_ARN",
    }[secret]
    assert [variables[variable] for variables in readers if variable in variables]
    assert all(variables[variable] == chosen for variables in readers if variable in variables)


def test_an_existing_secret_arn_is_checked_for_its_shape(packaged: Packaged) -> None:
    parameters = packaged.template()["Parameters"]
    for parameter in SECRETS.values():
        pattern = re.compile(parameters[parameter]["AllowedPattern"])
        assert pattern.fullmatch("")
        # The secret RDS manages for a database: its JSON has `password` too.
        assert pattern.fullmatch("arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0a1b2c-AbCdEf")
        assert not pattern.fullmatch("list-manager-prod/archive")


# -- 3. the archive's host ------------------------------------------------------------------------


def test_without_a_database_host_osls_refuses_to_resolve_the_service(project_copy: Path) -> None:
    refused = osls(project_copy, "print", ok_codes=(1,))
    # The error names the parameter to pass, not only the URL it is part of.
    assert 'Cannot resolve variable at "custom.dbHost"' in refused.stdout + refused.stderr


# -- 5. timeouts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_aws_call_gives_up_within_the_deployed_functions_timeout(
    packaged: Packaged, function: str
) -> None:
    properties = packaged.template()["Resources"][FUNCTIONS[function]]["Properties"]
    variables = properties["Environment"]["Variables"]
    limits = Settings.from_env({k: v for k, v in variables.items() if isinstance(v, str)}).aws
    assert "LISTMGR_AWS_READ_TIMEOUT" in variables
    assert worst_case_seconds(limits) <= 0.8 * properties["Timeout"]


# -- 6. alarms ------------------------------------------------------------------------------------


def _alarms(packaged: Packaged) -> dict[str, dict[str, Any]]:
    return {
        key: value["Properties"]
        for key, value in resources_of_type(packaged.template(), "AWS::CloudWatch::Alarm").items()
    }


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_each_function_alarms_on_its_errors_and_throttles(
    packaged: Packaged, function: str, metric: str
) -> None:
    alarm = _alarms(packaged)[f"{function.title()}{metric}Alarm"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", metric, "Sum")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": FUNCTIONS[function]}}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["Period"] * alarm["EvaluationPeriods"] <= 900


@pytest.mark.parametrize(
    ("alarm", "namespace", "metric", "dimension"),
    [
        ("HttpApi5xxAlarm", "AWS/ApiGateway", "5xx", {"Name": "ApiId", "Value": {"Ref": "HttpApi"}}),
        (
            "StreamWriteThrottledAlarm",
            "AWS/Kinesis",
            "WriteProvisionedThroughputExceeded",
            {"Name": "StreamName", "Value": {"Ref": "EventsStream"}},
        ),
    ],
)
def test_the_api_and_the_stream_alarm_on_refused_work(
    packaged: Packaged, alarm: str, namespace: str, metric: str, dimension: dict[str, Any]
) -> None:
    properties = _alarms(packaged)[alarm]
    assert (properties["Namespace"], properties["MetricName"], properties["Statistic"]) == (
        namespace,
        metric,
        "Sum",
    )
    assert properties["Dimensions"] == [dimension]
    assert 0 <= properties["Threshold"] <= 10
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize(
    ("function", "metric"),
    [(f, m) for f in ("listener", "trigger") for m in ("RecordsFaulted", "RecordsFailed")],
)
def test_the_consumers_alarm_on_the_records_they_give_up_on(
    packaged: Packaged, function: str, metric: str
) -> None:
    name = {"RecordsFaulted": "FaultsAlarm", "RecordsFailed": "FailedRecordsAlarm"}[metric]
    alarm = _alarms(packaged)[f"{function.title()}{name}"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("ListManager", metric, "Sum")
    assert alarm["Dimensions"] == [{"Name": "function", "Value": function}, {"Name": "stage", "Value": "dev"}]
    if metric == "RecordsFaulted":
        assert (alarm["Period"], alarm["Threshold"]) == (60, 10)  # faults per minute
    else:
        assert alarm["Threshold"] == 0


def _metric_math(alarm: dict[str, Any]) -> tuple[dict[str, tuple[str, str, Any]], list[str]]:
    inputs = {
        query["Id"]: (
            query["MetricStat"]["Metric"]["Namespace"],
            query["MetricStat"]["Metric"]["MetricName"],
            query["MetricStat"]["Metric"]["Dimensions"],
        )
        for query in alarm["Metrics"]
        if "MetricStat" in query
    }
    returned = [query.get("Expression") for query in alarm["Metrics"] if query.get("ReturnData", True)]
    return inputs, returned


@pytest.mark.parametrize(
    ("function", "source"),
    [
        (
            "listener",
            ("AWS/Kinesis", "IncomingRecords", [{"Name": "StreamName", "Value": {"Ref": "EventsStream"}}]),
        ),
        (
            "trigger",
            (
                "AWS/DynamoDB",
                "ConsumedWriteCapacityUnits",
                [{"Name": "TableName", "Value": {"Ref": "ListsTable"}}],
            ),
        ),
    ],
)
def test_a_stopped_mapping_alarms_when_records_arrive_and_nothing_is_invoked(
    packaged: Packaged, function: str, source: tuple[str, str, Any]
) -> None:
    alarm = _alarms(packaged)[f"{function.title()}StoppedAlarm"]
    inputs, returned = _metric_math(alarm)
    assert inputs == {
        "incoming": source,
        "invocations": (
            "AWS/Lambda",
            "Invocations",
            [{"Name": "FunctionName", "Value": {"Ref": FUNCTIONS[function]}}],
        ),
    }
    # Invocations has no datapoint for a period without one: FILL, or the alarm never fires.
    assert returned == ["IF(FILL(incoming, 0) > 0 AND FILL(invocations, 0) == 0, 1, 0)"]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert 600 <= alarm["EvaluationPeriods"] * 300 <= 1800


def test_the_table_alarms_on_throttled_reads_and_writes(packaged: Packaged) -> None:
    inputs, returned = _metric_math(_alarms(packaged)["ListsTableThrottlesAlarm"])
    assert {metric for _, metric, _ in inputs.values()} == {"ReadThrottleEvents", "WriteThrottleEvents"}
    assert {namespace for namespace, _, _ in inputs.values()} == {"AWS/DynamoDB"}
    assert returned == [" + ".join(f"FILL({name}, 0)" for name in inputs)]


# -- 8. the stream's capacity, versions ------------------------------------------------------------


def test_the_stream_capacity_is_a_parameter_with_a_write_capacity_alarm(packaged: Packaged) -> None:
    template = packaged.template()
    stream = template["Resources"]["EventsStream"]["Properties"]
    assert stream["StreamModeDetails"] == {
        "StreamMode": {"Fn::If": ["OnDemandStream", "ON_DEMAND", "PROVISIONED"]}
    }
    assert stream["ShardCount"] == {
        "Fn::If": ["OnDemandStream", {"Ref": "AWS::NoValue"}, {"Ref": "StreamShards"}]
    }
    pattern = re.compile(template["Parameters"]["StreamShards"]["AllowedPattern"])
    assert [
        value for value in ("on-demand", "1", "4", "0", "-1", "ondemand") if pattern.fullmatch(value)
    ] == [
        "on-demand",
        "1",
        "4",
    ]
    alarm = template["Resources"]["StreamWriteCapacityAlarm"]
    assert alarm["Condition"] == "ProvisionedStream"
    inputs, _ = _metric_math(alarm["Properties"])
    assert {metric for _, metric, _ in inputs.values()} == {"IncomingBytes", "IncomingRecords"}
    assert alarm["Properties"]["Threshold"] == 80


def test_functions_are_not_versioned(packaged: Packaged) -> None:
    assert resources_of_type(packaged.template(), "AWS::Lambda::Version") == {}


def test_no_function_calls_put_record_so_no_role_allows_it() -> None:
    calls = [
        path
        for directory in ("services", "shared")
        for path in (ROOT / directory).rglob("*.py")
        if re.search(r"\bput_record\(", path.read_text())
    ]
    assert calls == []


# -- 4. bytecode ----------------------------------------------------------------------------------


def test_the_artifact_ships_bytecode_for_every_module_it_holds(packaged: Packaged) -> None:
    if find_python("python3.12") is None:
        pytest.skip("no python3.12 on this machine (PATH, pyenv): the artifact was packaged without bytecode")
    names = set(packaged.names())
    sources = sorted(name for name in names if name.endswith(".py"))
    missing = [
        name
        for name in sources
        if f"{name.rpartition('/')[0]}/__pycache__/{Path(name).stem}.cpython-312.pyc".lstrip("/") not in names
    ]
    assert missing == []
    for module in (
        "services/trigger/handler",
        "shared/bootstrap",
        "pydantic/main",
        "pymysql/connections",
        "botocore/client",
    ):
        assert f"{Path(module).parent}/__pycache__/{Path(module).name}.cpython-312.pyc" in names, module


def test_the_bytecode_is_for_cpython_3_12_and_needs_no_source_timestamps(packaged: Packaged) -> None:
    import zipfile  # noqa: PLC0415

    if find_python("python3.12") is None:
        pytest.skip("no python3.12 on this machine (PATH, pyenv): the artifact was packaged without bytecode")
    with zipfile.ZipFile(packaged.artifact) as archive:
        header = archive.read("services/trigger/__pycache__/handler.cpython-312.pyc")[:16]
    # PEP 552: magic number, then flags; 0b01 is hash-based and unchecked.
    magic_312 = (3531).to_bytes(2, "little") + b"\r\n"
    assert header[:4] == magic_312
    assert int.from_bytes(header[4:8], "little") == 0b01


# -- 7. the lock ----------------------------------------------------------------------------------


def _requirements(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if match := re.match(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", line):
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def test_the_lock_pins_every_direct_dependency_at_its_declared_version_with_hashes() -> None:
    declared = _requirements((ROOT / "requirements.txt").read_text())
    lock = (ROOT / "requirements.lock").read_text()
    locked = _requirements(lock)
    assert declared.items() <= locked.items()
    entries = re.split(r"\n(?=\S)", lock.strip())
    packages = [entry for entry in entries if not entry.startswith("#")]
    assert len(packages) == len(locked)
    assert all("--hash=sha256:" in entry for entry in packages)


def test_the_artifact_is_installed_from_the_lock(packaged: Packaged) -> None:
    locked = _requirements((ROOT / "requirements.lock").read_text())
    packed = {
        re.sub(r"[-_.]+", "-", match["name"]).lower(): match["version"]
        for name in packaged.names()
        if (match := re.match(r"(?P<name>[^/]+)-(?P<version>[^-/]+)\.dist-info/METADATA$", name))
    }
    assert packed == locked
