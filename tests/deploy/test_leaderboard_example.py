"""examples/leaderboard, the model subscriber: it packages offline with no parameter and passes
the checks of the main service (cfn-lint, checkov, least privilege), on its own template."""

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import ROOT
from tests.support.grants import TRACING, grants, on
from tests.support.packaging import OSLS, cfn_lint_findings, checkov_findings, resources_of_type, run

EXAMPLE = ROOT / "examples" / "leaderboard"
SAME_STAGE_STREAM = (
    "arn:{AWS::Partition}:kinesis:{AWS::Region}:{AWS::AccountId}:stream/list-manager-dev-events"
)


@pytest.fixture(scope="session")
def template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("leaderboard")
    for name in ("serverless.yml", "handler.py"):
        shutil.copy2(EXAMPLE / name, copy / name)
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
    # No --param: the stream of the same stage is built by CloudFormation, not looked up (STS).
    run([str(OSLS), "package", "--stage", "dev"], copy)
    return copy / ".serverless" / "cloudformation-template-update-stack.json"


@pytest.fixture(scope="session")
def template(template_path: Path) -> dict[str, Any]:
    import json  # noqa: PLC0415

    loaded: dict[str, Any] = json.loads(template_path.read_text())
    return loaded


def test_cfn_lint_finds_no_error_and_no_warning(template_path: Path) -> None:
    assert cfn_lint_findings(template_path) == ""


def test_checkov_finds_nothing_that_is_not_explained(template_path: Path) -> None:
    assert checkov_findings(template_path) == []


def test_the_role_allows_what_the_notifier_and_its_mapping_call_and_nothing_else(
    template: dict[str, Any],
) -> None:
    assert grants(template, "notifier", in_vpc=False) == {
        **on(
            {SAME_STAGE_STREAM},
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
        ),
        "kinesis:ListStreams": {"*"},
        "dynamodb:UpdateItem": {"LeadersTable.Arn"},
        "sqs:GetQueueUrl": {"NotificationsQueue.Arn"},
        "sqs:SendMessage": {"NotificationsQueue.Arn", "NotifierFailureQueue.Arn"},
        **TRACING,
        **on({"NotifierLogGroup.Arn"}, "logs:CreateLogStream", "logs:PutLogEvents"),
    }
    assert set(resources_of_type(template, "AWS::IAM::Role")) == {"NotifierRole"}


def test_the_mapping_sets_failed_batches_aside_and_gives_up_on_stale_records(
    template: dict[str, Any],
) -> None:
    (mapping,) = resources_of_type(template, "AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    assert properties["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["NotifierFailureQueue", "Arn"]}}
    }
    assert properties["MaximumRecordAgeInSeconds"] == 86400
    assert properties["MaximumRetryAttempts"] == 5
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_notifier_runs_on_arm64_traced_with_its_logs_kept_a_month(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    function = resources["NotifierLambdaFunction"]["Properties"]
    assert (function["Runtime"], function["Architectures"]) == ("python3.12", ["arm64"])
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["ReservedConcurrentExecutions"] >= 1
    assert resources["NotifierLogGroup"]["Properties"]["RetentionInDays"] == 30
    assert resources_of_type(template, "AWS::Lambda::Version") == {}
