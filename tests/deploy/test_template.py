"""The CloudFormation template osls generates: valid (cfn-lint), without unexplained findings of a
security scanner (checkov), and least privilege, function by function."""

import json
from typing import Any

import pytest

from tests.support.grants import FUNCTIONS, TRACING, grants, on, statements
from tests.support.packaging import (
    REQUIRED_PARAMS,
    Packaged,
    cfn_lint_findings,
    checkov_findings,
    osls,
    resources_of_type,
)

TABLE, INDEX, TABLE_STREAM = "ListsTable.Arn", "ListsTable.Arn/index/titles", "ListsTable.StreamArn"
STREAM, QUEUE = "EventsStream.Arn", "StreamFailureQueue.Arn"
# A secret created by the stack, or the existing one a parameter names (docs/deploying.md).
ARCHIVE_SECRET = "CreateArchiveSecret?ArchiveSecret:ArchiveSecretArn"
API_KEYS_SECRET = "CreateApiKeysSecret?ApiKeysSecret:ApiKeysSecretArn"
# Actions that name no resource: AWS ignores any ARN given for them, so `*` is what they grant.
ON_NO_RESOURCE = {*TRACING, "ec2:DescribeNetworkInterfaces", "kinesis:ListStreams", "dynamodb:ListStreams"}


def logs(group: str) -> dict[str, set[str]]:
    return on({f"{group}.Arn"}, "logs:CreateLogStream", "logs:PutLogEvents")


# Every action each function's role allows, on which resources: what its code calls (docs/deploying.md,
# "What it deploys, and why", "Least privilege"), and nothing else.
GRANTS: dict[str, dict[str, set[str]]] = {
    "listener": {
        "dynamodb:BatchGetItem": {TABLE},
        "dynamodb:PutItem": {TABLE},  # inside TransactWriteItems only (test below)
        **on(
            {STREAM},
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:PutRecords",
        ),
        "kinesis:ListStreams": {"*"},
        "sqs:SendMessage": {QUEUE},
        "secretsmanager:GetSecretValue": {ARCHIVE_SECRET},
        **TRACING,
        **logs("ListenerLogGroup"),
    },
    "trigger": {
        **on(
            {TABLE_STREAM},
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ),
        "dynamodb:ListStreams": {"*"},
        "kinesis:PutRecords": {STREAM},
        "sqs:SendMessage": {QUEUE},
        **TRACING,
        **logs("TriggerLogGroup"),
    },
    "api": {
        "dynamodb:GetItem": {TABLE, INDEX},
        "dynamodb:Query": {TABLE, INDEX},
        "dynamodb:DescribeTable": {TABLE},
        "kinesis:PutRecords": {STREAM},  # never PutRecord: the code calls PutRecords only (test below)
        "kinesis:DescribeStreamSummary": {STREAM},
        "secretsmanager:GetSecretValue": {API_KEYS_SECRET, ARCHIVE_SECRET},
        **TRACING,
        **logs("ApiLogGroup"),
    },
    "admin": {
        "dynamodb:Scan": {TABLE},
        "dynamodb:BatchWriteItem": {TABLE},
        # `{"action": "redrive"}`: the failure queue, the records it names, their functions;
        # the messages in flight (GetQueueAttributes) for `failures` and `redrive` alike.
        **on(
            {QUEUE},
            "sqs:GetQueueUrl",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
        ),
        **on({STREAM}, "kinesis:GetShardIterator", "kinesis:GetRecords"),
        **on({TABLE_STREAM}, "dynamodb:GetShardIterator", "dynamodb:GetRecords"),
        "lambda:InvokeFunction": {"ListenerLambdaFunction.Arn", "TriggerLambdaFunction.Arn"},
        "secretsmanager:GetSecretValue": {ARCHIVE_SECRET},
        **TRACING,
        **logs("AdminLogGroup"),
    },
}
NETWORK_INTERFACES = {
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
IN_VPC = {"listener", "api", "admin"}


def test_cfn_lint_finds_no_error_and_no_warning(packaged: Packaged) -> None:
    assert cfn_lint_findings(packaged.template_path) == ""


def test_checkov_finds_nothing_that_is_not_explained(packaged: Packaged) -> None:
    assert checkov_findings(packaged.template_path) == []


def test_each_function_has_a_role_of_its_own(packaged: Packaged) -> None:
    template = packaged.template()
    roles = {key: template["Resources"][logical]["Properties"]["Role"] for key, logical in FUNCTIONS.items()}
    assert roles == {key: {"Fn::GetAtt": [f"{key.title()}Role", "Arn"]} for key in FUNCTIONS}
    assert set(resources_of_type(template, "AWS::IAM::Role")) == {f"{key.title()}Role" for key in FUNCTIONS}
    for role in resources_of_type(template, "AWS::IAM::Role").values():
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            }
        ]
        assert "ManagedPolicyArns" not in role["Properties"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_role_allows_what_its_function_calls_and_nothing_else(packaged: Packaged, function: str) -> None:
    assert grants(packaged.template(), function, in_vpc=False) == GRANTS[function]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_in_a_vpc_the_functions_that_reach_mysql_may_manage_their_network_interfaces(
    packaged: Packaged, function: str
) -> None:
    added = {
        action: resources
        for action, resources in grants(packaged.template(), function, in_vpc=True).items()
        if action not in GRANTS[function]
    }
    if function in IN_VPC:
        scoped = {
            f"arn:{{AWS::Partition}}:ec2:{{AWS::Region}}:{{AWS::AccountId}}:{kind}/*"
            for kind in ("network-interface", "subnet", "security-group")
        }
        assert added == {
            **on(scoped, *NETWORK_INTERFACES),
            "ec2:DescribeNetworkInterfaces": {"*"},
        }
    else:
        assert added == {}


def test_only_the_functions_that_reach_mysql_join_the_vpc_and_only_when_one_is_given(
    packaged: Packaged,
) -> None:
    resources = packaged.template()["Resources"]
    joined = {
        "Fn::If": [
            "InVpc",
            {"SubnetIds": {"Ref": "SubnetIds"}, "SecurityGroupIds": {"Ref": "SecurityGroupIds"}},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert {key: resources[logical]["Properties"].get("VpcConfig") for key, logical in FUNCTIONS.items()} == {
        key: joined if key in IN_VPC else None for key in FUNCTIONS
    }


def test_nothing_is_allowed_on_every_resource_unless_the_action_has_no_resource_to_name(
    packaged: Packaged,
) -> None:
    for function in FUNCTIONS:
        for action, resources in grants(packaged.template(), function, in_vpc=True).items():
            assert "*" not in action
            if "*" in resources:
                assert action in ON_NO_RESOURCE, (function, action)
                assert resources == {"*"}, (function, action)


def test_the_listener_writes_the_table_only_inside_transactions(packaged: Packaged) -> None:
    puts = [
        s for s in statements(packaged.template(), "listener", in_vpc=False) if "dynamodb:PutItem" in s[0]
    ]
    assert [condition for _, _, condition in puts] == [
        # A single-valued key, so StringEquals (no set operator): a PutItem outside a
        # transaction has no enclosing operation, and StringEquals on a missing key is false.
        {"StringEquals": {"dynamodb:EnclosingOperation": "TransactWriteItems"}}
    ]


def test_the_listener_cannot_delete_and_the_api_cannot_touch_the_failure_queue(packaged: Packaged) -> None:
    template = packaged.template()
    listener = grants(template, "listener", in_vpc=True)
    assert not [action for action in listener if "Delete" in action and action.startswith("dynamodb:")]
    api = grants(template, "api", in_vpc=True)
    assert not [action for action in api if action.startswith("sqs:")]
    assert not [resources for resources in api.values() if QUEUE in resources]


def test_functions_are_traced_and_run_on_the_runtime_the_package_was_built_for(packaged: Packaged) -> None:
    template = packaged.template()
    for logical in FUNCTIONS.values():
        properties = template["Resources"][logical]["Properties"]
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert (properties["Runtime"], properties["Architectures"]) == ("python3.12", ["arm64"])
        assert properties["ReservedConcurrentExecutions"] >= 1


def test_stream_table_and_queue_are_encrypted_and_the_table_recoverable(packaged: Packaged) -> None:
    resources = packaged.template()["Resources"]
    assert resources["EventsStream"]["Properties"]["StreamEncryption"]["EncryptionType"] == "KMS"
    assert resources["StreamFailureQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    table = resources["ListsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


def test_every_alarm_notifies_the_alarm_topic_when_one_is_given(packaged: Packaged) -> None:
    alarms = resources_of_type(packaged.template(), "AWS::CloudWatch::Alarm")
    notify = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    assert len(alarms) >= 20
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == notify
        assert alarm["Properties"]["OKActions"] == notify
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


def test_deployment_parameters_become_the_template_parameters_defaults(project_copy: Any) -> None:
    given = {
        "subnetIds": "subnet-0a1b2c3d,subnet-4e5f6a7b",
        "securityGroupIds": "sg-0123abcd",
        "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops",
        "archiveSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1a2b-AbCdEf",
        "apiKeysSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-keys-AbCdEf",
        "streamShards": "on-demand",
    }
    options = [*REQUIRED_PARAMS, *(f"--param={name}={value}" for name, value in given.items())]
    printed = json.loads(osls(project_copy, "print", "--format", "json", *options).stdout)
    parameters = printed["resources"]["Parameters"]
    assert {name: parameters[name[0].upper() + name[1:]]["Default"] for name in given} == given
