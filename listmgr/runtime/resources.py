"""The resources of a serverless.yml, created on the local AWS endpoint.

The `resources` section is deployed as it is, through moto's CloudFormation, so what runs locally
is what deploys. Types the local endpoint has no use for or cannot emulate (alarms, API Gateway,
event source mappings, which `listmgr up` runs itself) are left out and named in the banner.
Every `!Ref` / `!GetAtt` the functions use (their event sources, their environment) is added as a
stack output, so CloudFormation itself resolves them. What moto's CloudFormation takes and
ignores is set afterwards through the service's own API: a table's TimeToLiveSpecification.
"""

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from listmgr.runtime.config import ServerlessConfig

TABLE = "AWS::DynamoDB::Table"
LOCAL_TYPES = frozenset(
    {
        "AWS::Kinesis::Stream",
        TABLE,
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
        "AWS::S3::Bucket",
    }
)
PSEUDO_PARAMETERS = frozenset(
    {"AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition", "AWS::URLSuffix"}
)
INTRINSICS = ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::ImportValue", "Fn::If")


@dataclass
class LocalResources:
    stack_name: str
    created: dict[str, str] = field(default_factory=dict)
    """Logical id -> resource type, for what was created."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Logical id -> resource type, for what was left out."""
    values: dict[str, Any] = field(default_factory=dict)
    """json of an intrinsic expression -> its value."""
    physical: dict[str, str] = field(default_factory=dict)
    """Logical id -> physical id (a table's name, a queue's URL), for what was created."""

    def tables(self) -> list[str]:
        """The names of the tables created."""
        return [self.physical[key] for key, kind in self.created.items() if kind == TABLE]

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic expression replaced by what it resolved to (None when
        it refers to a resource left out)."""
        if isinstance(value, dict):
            if len(value) == 1 and next(iter(value)) in INTRINSICS:
                return self.values.get(_key(value))
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value


def deploy(config: ServerlessConfig, client: Callable[[str], Any], stack_name: str) -> LocalResources:
    """Creates (or updates) the stack; `client(service)` makes a boto3 client of the endpoint."""
    cloudformation = client("cloudformation")
    local = LocalResources(stack_name)
    template_resources: dict[str, Any] = {}
    for logical_id, resource in config.resources.items():
        if resource.get("Type") in LOCAL_TYPES:
            template_resources[logical_id] = resource
            local.created[logical_id] = resource["Type"]
        else:
            local.skipped[logical_id] = str(resource.get("Type"))
    expressions = {
        _key(expression): expression
        for expression in _intrinsics({"functions": config.functions, "environment": config.environment()})
        if _references(expression) - PSEUDO_PARAMETERS <= set(template_resources)
    }
    outputs = {
        f"Local{index}": {"Value": expression} for index, expression in enumerate(expressions.values())
    }
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": template_resources, "Outputs": outputs}
    _create_or_update(cloudformation, stack_name, template)
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise RuntimeError(
            f"local stack {stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}"
        )
    by_name = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    keys = list(expressions)
    local.values = {keys[int(name[len("Local") :])]: value for name, value in by_name.items()}
    local.physical = {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for resource in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    }
    for logical_id, kind in local.created.items():
        specification = (config.resources[logical_id].get("Properties") or {}).get("TimeToLiveSpecification")
        if kind == TABLE and specification:
            _set_time_to_live(client("dynamodb"), local.physical[logical_id], specification)
    return local


def _set_time_to_live(dynamodb: Any, table_name: str, specification: Mapping[str, Any]) -> None:
    """The table's Time to Live as declared (moto's CloudFormation leaves it DISABLED). Changed
    only when it differs: DynamoDB refuses to set it again to what it already is."""
    enabled = bool(specification.get("Enabled"))
    attribute = str(specification["AttributeName"])
    current = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    is_enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    if is_enabled == enabled and (not enabled or current.get("AttributeName") == attribute):
        return
    dynamodb.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"AttributeName": attribute, "Enabled": enabled}
    )


def _create_or_update(cloudformation: Any, stack_name: str, template: dict[str, Any]) -> None:
    """Creates the stack, or, on an endpoint that outlived an earlier `listmgr up` (an external
    server), keeps it and the data in it, updated only if serverless.yml changed since."""
    try:
        deployed = cloudformation.get_template(StackName=stack_name)["TemplateBody"]
    except cloudformation.exceptions.ClientError:
        cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
        return
    if json.loads(json.dumps(deployed)) != template:
        cloudformation.update_stack(StackName=stack_name, TemplateBody=json.dumps(template))


def _key(expression: Mapping[str, Any]) -> str:
    return json.dumps(expression, sort_keys=True)


def _intrinsics(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in INTRINSICS:
            yield value
            return
        for item in value.values():
            yield from _intrinsics(item)
    elif isinstance(value, list):
        for item in value:
            yield from _intrinsics(item)


def _references(expression: Any) -> set[str]:
    """The logical ids an intrinsic expression refers to."""
    if isinstance(expression, dict):
        if "Ref" in expression:
            return {str(expression["Ref"])}
        if "Fn::GetAtt" in expression:
            target = expression["Fn::GetAtt"]
            return {str(target[0] if isinstance(target, list) else str(target).split(".")[0])}
        return set().union(*(_references(item) for item in expression.values()))
    if isinstance(expression, list):
        return set().union(*(_references(item) for item in expression))
    return set()
