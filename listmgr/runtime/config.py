"""Reading a serverless.yml the way the Serverless Framework does, for the local stack.

CloudFormation short forms (`!GetAtt X.Arn`, `!Ref X`, `!Sub ...`) load as their long forms, and
the framework's variables are resolved: `${self:path}`, `${sls:stage}`, `${opt:stage}` and
`${opt:region}` from the options given, `${env:NAME}`, `${aws:region}`, `${aws:accountId}`,
`${param:name}`, each with an optional `, default`. A variable that is a whole value keeps the
type of what it refers to; inside a string it is interpolated. Unresolvable variables without
a default are an error naming the variable and where it is.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LOCAL_ACCOUNT = "123456789012"
_VARIABLE = re.compile(r"\$\{([^${}]+)\}")
_REFERENCE = re.compile(r"(self|sls|opt|env|aws|param):[^\s,'\"]+")


class ConfigError(ValueError):
    """A serverless.yml that cannot be read or resolved."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form tags."""


def _intrinsic(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _tag in (
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "ImportValue",
    "Base64",
    "Cidr",
    "GetAZs",
    "Condition",
):
    _Loader.add_constructor(f"!{_tag}", _intrinsic("Condition" if _tag == "Condition" else f"Fn::{_tag}"))
_Loader.add_constructor("!Ref", _intrinsic("Ref"))


@dataclass(frozen=True)
class Options:
    stage: str = "dev"
    region: str = "us-east-1"
    params: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    """What `${env:NAME}` reads: the command's environment, passed on by its entrypoint."""


@dataclass(frozen=True)
class ServerlessConfig:
    path: Path
    data: dict[str, Any]

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def service(self) -> str:
        return str(self.data["service"])

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("functions") or {})

    @property
    def resources(self) -> dict[str, Any]:
        return dict((self.data.get("resources") or {}).get("Resources") or {})

    def environment(self, function_key: str | None = None) -> dict[str, Any]:
        """A function's environment as Lambda gives it: the provider's, then the function's own.
        Without a key, every function's merged: what any of them may refer to."""
        merged = dict((self.data.get("provider") or {}).get("environment") or {})
        keys = list(self.functions) if function_key is None else [function_key]
        for key in keys:
            merged.update(self.functions[key].get("environment") or {})
        return merged


def load(path: Path | str, options: Options | None = None) -> ServerlessConfig:
    path = Path(path).resolve()
    try:
        raw = yaml.load(path.read_text(), Loader=_Loader)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from error
    if not isinstance(raw, dict) or "service" not in raw:
        raise ConfigError(f"{path} is not a serverless.yml: it has no 'service'")
    return ServerlessConfig(path, _Resolver(raw, options or Options()).resolve_all())


class _Resolver:
    def __init__(self, raw: dict[str, Any], options: Options) -> None:
        self.raw = raw
        self.options = options

    def resolve_all(self) -> dict[str, Any]:
        resolved: dict[str, Any] = self.resolve(self.raw, "")
        return resolved

    def resolve(self, value: Any, where: str, depth: int = 0) -> Any:
        if depth > 20:
            raise ConfigError(f"variables at {where} refer to each other in a loop")
        if isinstance(value, dict):
            return {key: self.resolve(item, f"{where}.{key}", depth) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item, f"{where}[{index}]", depth) for index, item in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value
        whole = _VARIABLE.fullmatch(value)
        if whole:
            return self.resolve(self.variable(whole.group(1), where, depth), where, depth + 1)
        text = value
        while match := _VARIABLE.search(text):
            replacement = self.resolve(self.variable(match.group(1), where, depth), where, depth + 1)
            text = text[: match.start()] + str(replacement) + text[match.end() :]
        return text

    def variable(self, expression: str, where: str, depth: int) -> Any:
        reference, _, default = expression.partition(",")
        reference = reference.strip()
        found = self.lookup(reference)
        if found is not None:
            return found
        fallback = default.strip()
        if _REFERENCE.fullmatch(fallback):
            # The Framework's fallback may itself be a source (`${param:x, self:custom.y}`).
            return self.resolve(self.variable(fallback, where, depth + 1), where, depth + 1)
        if fallback:
            return self.resolve(_literal(fallback), where, depth + 1)
        raise ConfigError(f"cannot resolve ${{{expression}}} at {where.lstrip('.')}")

    def lookup(self, reference: str) -> Any:
        source, _, name = reference.partition(":")
        options = self.options
        if source == "self":
            node: Any = self.raw
            for step in name.split("."):
                if not isinstance(node, dict) or step not in node:
                    return None
                node = node[step]
            return node
        if source == "sls":
            return {"stage": options.stage, "instanceId": "local"}.get(name)
        if source == "opt":
            return {"stage": options.stage, "region": options.region}.get(name)
        if source == "env":
            return options.env.get(name)
        if source == "aws":
            return {"region": options.region, "accountId": LOCAL_ACCOUNT, "partition": "aws"}.get(name)
        if source == "param":
            return options.params.get(name)
        if source.startswith(("'", '"')):
            return _literal(reference)
        return None


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return int(text)
    except ValueError:
        return {"true": True, "false": False}.get(text, text)
