"""Reading the roles of a packaged template: what each function is allowed, as text."""

from collections.abc import Mapping
from typing import Any

FUNCTIONS = {
    "listener": "ListenerLambdaFunction",
    "trigger": "TriggerLambdaFunction",
    "api": "ApiLambdaFunction",
    "admin": "AdminLambdaFunction",
}


TRACING = {"xray:PutTraceSegments": {"*"}, "xray:PutTelemetryRecords": {"*"}}


def on(resources: set[str], *actions: str) -> dict[str, set[str]]:
    return {action: set(resources) for action in actions}


def statements(
    template: Mapping[str, Any], function: str, in_vpc: bool
) -> list[tuple[list[str], list[str], Any]]:
    """(actions, resources, condition) of every Allow statement of the function's role, with the
    template's conditions decided: InVpc as given, any other false."""
    role = template["Resources"][f"{function.title()}Role"]["Properties"]
    found = []
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            decided = _decide(statement, {"InVpc": in_vpc})
            if decided is None:
                continue
            assert decided["Effect"] == "Allow"
            actions = decided["Action"] if isinstance(decided["Action"], list) else [decided["Action"]]
            resources = (
                decided["Resource"] if isinstance(decided["Resource"], list) else [decided["Resource"]]
            )
            found.append((actions, [_name(resource) for resource in resources], decided.get("Condition")))
    return found


def grants(template: Mapping[str, Any], function: str, in_vpc: bool) -> dict[str, set[str]]:
    allowed: dict[str, set[str]] = {}
    for actions, resources, _ in statements(template, function, in_vpc):
        for action in actions:
            allowed.setdefault(action, set()).update(resources)
    return allowed


def _decide(value: Any, conditions: Mapping[str, bool]) -> Any:
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        name, when_true, when_false = value["Fn::If"]
        chosen = when_true if conditions.get(name, False) else when_false
        return None if chosen == {"Ref": "AWS::NoValue"} else chosen
    return value


def _name(resource: Any) -> str:
    """A resource as text: `ListsTable.Arn`, `ArchiveSecret`, `ListsTable.Arn/index/titles`, or
    an ARN with its pseudo parameters in braces."""
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource:
        return ".".join(resource["Fn::GetAtt"])
    if "Fn::If" in resource:
        condition, when_true, when_false = resource["Fn::If"]
        return f"{condition}?{_name(when_true)}:{_name(when_false)}"
    if "Ref" in resource:
        return f"{{{resource['Ref']}}}" if resource["Ref"].startswith("AWS::") else str(resource["Ref"])
    if "Fn::Join" in resource:
        separator, parts = resource["Fn::Join"]
        return str(separator).join(_name(part) for part in parts)
    raise AssertionError(f"unexpected resource {resource!r}")
