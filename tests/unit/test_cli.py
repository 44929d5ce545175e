"""The `listmgr` command line explains itself: every option of every subcommand has help text
that shows its default, and the banner of `listmgr up` shows what the running service has."""

import argparse
import math
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from listmgr.cli.commands import LIST_API_HANDLER, banner
from listmgr.cli.main import build_parser
from listmgr.runtime import config
from listmgr.runtime.resources import LOCAL_TYPES, LocalResources


def _parsers(
    parser: argparse.ArgumentParser, name: str = "listmgr"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, subparser in action.choices.items():
                yield from _parsers(subparser, f"{name} {command}")


def _options() -> Iterator[tuple[str, argparse.ArgumentParser, argparse.Action]]:
    for name, parser in _parsers(build_parser()):
        for action in parser._actions:
            if action.option_strings and not isinstance(action, argparse._HelpAction):
                yield name, parser, action


@pytest.mark.parametrize(
    ("command", "parser", "action"),
    [pytest.param(*option, id=f"{option[0]} {option[2].option_strings[-1]}") for option in _options()],
)
def test_every_option_has_help_that_shows_its_default(
    command: str, parser: argparse.ArgumentParser, action: argparse.Action
) -> None:
    assert action.help and action.help != argparse.SUPPRESS, f"{command} {action.option_strings} has no help"
    rendered = " ".join(parser.format_help().split())
    if action.required or action.default is False:
        return  # nothing to leave out, or a flag
    if action.default is None:
        assert "(default: " in action.help, f"{command} {action.option_strings} does not say its default"
    else:
        assert f"(default: {action.default})" in rendered


def test_tail_from_explains_both_starting_points() -> None:
    tail = dict(_parsers(build_parser()))["listmgr tail"]
    text = " ".join(tail.format_help().split())
    assert "trim-horizon prints every event the stream still holds" in text
    assert "latest only the events published after tail starts" in text
    assert "(default: trim-horizon)" in text


LIST_MANAGER = {
    "service": "list-manager",
    "api_url": "http://127.0.0.1:8000",
    "api_handler": LIST_API_HANDLER,
    "api_key": "lm_test-key",
    "aws_endpoint_url": "http://127.0.0.1:4566",
    "region": "us-east-1",
    "stream_name": "list-manager-dev-events",
    "table_name": "list-manager-dev-lists",
    "failure_queue_url": "http://127.0.0.1:4566/000000000000/list-manager-dev-stream-failures",
    "archive_url": "sqlite:///.listmgr/archive.db",
    "mappings": [{"type": "kinesis", "function": "listener", "batchSize": 100}],
}
CLICK_COUNTER = {
    "service": "click-counter",
    "api_url": None,
    "api_key": "lm_test-key",
    "aws_endpoint_url": "http://127.0.0.1:4566",
    "region": "us-east-1",
    "stream_name": "click-counter-dev-clicks",
    "table_name": "click-counter-dev-counts",
    "failure_queue_url": None,
    "archive_url": None,
    "mappings": [{"type": "kinesis", "function": "count", "batchSize": 10}],
}


def test_the_list_managers_banner_prints_a_curl_command_that_sends_json() -> None:
    text = banner(LIST_MANAGER, None)
    [try_line] = [line for line in text.splitlines() if line.startswith("Try:")]
    command = shlex.split(try_line.removeprefix("Try:"))

    assert "list-manager is running" in text
    assert "API key       lm_test-key" in text
    assert command[:5] == ["curl", "-s", "-X", "POST", "http://127.0.0.1:8000/lists"]
    assert command[command.index("-H") + 1] == "Authorization: Bearer lm_test-key"
    assert "Content-Type: application/json" in command
    assert command[-2:] == ["-d", '{"title":"stats","user":"bill","type":"tally","entries":{"xp":83}}']


def test_another_projects_banner_names_it_and_shows_only_what_it_has() -> None:
    text = banner(CLICK_COUNTER, None)

    assert text.splitlines()[0] == "click-counter is running"
    assert "click-counter-dev-clicks" in text
    assert "click-counter-dev-counts" in text
    assert "mapping       kinesis -> count (batch 10)" in text
    for absent in ("list manager", "list-manager", "API ", "curl", "/lists", "failure queue", "archive"):
        assert absent not in text


def rows_at(text: str, columns: int) -> int:
    """The terminal rows `text` takes at `columns` columns, each line wrapping."""
    return sum(max(1, math.ceil(len(line) / columns)) for line in text.splitlines())


def resources_left_out() -> LocalResources:
    """What `listmgr up` leaves out of this project's serverless.yml (alarms, roles, secrets)."""
    loaded = config.load(Path(__file__).parents[2] / "serverless.yml", config.Options())
    skipped = {key: r["Type"] for key, r in loaded.resources.items() if r.get("Type") not in LOCAL_TYPES}
    return LocalResources("list-manager-dev", skipped=skipped)


# The longest banner a restart shows: five-digit ports, a real key, lists restored and leftovers
# put back, as stack.py words them.
RESTARTED = LIST_MANAGER | {
    "api_url": "http://127.0.0.1:38000",
    "aws_endpoint_url": "http://127.0.0.1:45660",
    "failure_queue_url": "http://127.0.0.1:45660/123456789012/list-manager-dev-stream-failures",
    "api_key": "lm_03hlJ5sSfnj-T8feGW6dUThDicmWp9BSnXshr5S76ko",
    "restored": "1234 titles and 56789 user lists from sqlite:///.listmgr/archive.db",
    "put_back": "1000 unfinished records and 10 failure-queue messages saved by the last stop",
    "mappings": [
        {"type": "kinesis", "function": "listener", "batchSize": 1000},
        {"type": "dynamodb", "function": "trigger", "batchSize": 100},
    ],
}


def test_the_banner_fits_an_80_by_24_terminal_with_the_mappings_display_below_it() -> None:
    left_out = resources_left_out()
    text = banner(RESTARTED, left_out)
    # The live display below it: a line per mapping, two rows each at 80 columns.
    display = 2 * len(RESTARTED["mappings"])

    assert len(left_out.skipped) > 20
    assert rows_at(text, 80) + display <= 24, text
    assert f"not emulated  {len(left_out.skipped)} resources of 3 types" in text


def test_the_verbose_banner_names_every_resource_left_out() -> None:
    left_out = resources_left_out()
    text = banner(RESTARTED, left_out, verbose=True)
    assert all(f"{key} ({kind})" in text for key, kind in left_out.skipped.items())
