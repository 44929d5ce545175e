"""The `listmgr` command line."""

import argparse
import logging
import math
import os
import queue
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from listmgr.cli import commands, dlq, progress, reset
from listmgr.cli.up import Stack, StackError, StackOptions
from listmgr.runtime import expiry, logbook

SIGNAL_LOOK = 0.25
"""Seconds between looks for a signal, at most."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    arguments.settings = commands.LocalSettings.from_env(os.environ)
    try:
        result: int = arguments.run(arguments)
    except (StackError, commands.CommandError) as error:
        print(f"listmgr: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, except where there is none to show (None, a
    flag's False): those say in their own words what leaving them out does."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """A parser whose subcommands (made with add_subparsers) format their help the same way."""

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        keywords.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*arguments, **keywords)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="listmgr", description="List manager: the local stack and its tools.")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".listmgr"),
        help="where the running stack keeps stack.json, its API key and its checkpoints",
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="run the whole stack locally until Ctrl-C")
    up.add_argument(
        "--config",
        type=Path,
        default=Path("serverless.yml"),
        help="the serverless.yml to run (another project's works too)",
    )
    up.add_argument("--host", default="127.0.0.1", help="the address the AWS endpoint and the API listen on")
    up.add_argument(
        "--aws-port", type=int, default=4566, help="the local AWS endpoint's port (HTTP/1.1 and HTTP/2)"
    )
    up.add_argument("--api-port", type=int, default=8000, help="the HTTP API's port")
    up.add_argument("--stage", default="dev", help="the stage resource names are made with (${sls:stage})")
    up.add_argument("--region", default="us-east-1", help="the region of the resources and of every client")
    up.add_argument(
        "--endpoint-url",
        default=None,
        help="use this AWS endpoint (an external moto server, LocalStack) instead of starting moto; "
        "the stack's resources are created only if it does not exist there yet "
        "(default: start moto on --host:--aws-port)",
    )
    up.add_argument(
        "--verbose",
        action="store_true",
        help="also log every invocation of a mapping (records, outcome, duration, iterator age), and "
        "name every resource of serverless.yml the local stack leaves out",
    )
    up.add_argument(
        "--progress",
        choices=("auto", "live", "lines"),
        default="auto",
        help="how to show what each mapping does: refreshed in place (live), as log lines while "
        "something moves (lines), or live on a terminal and lines otherwise (auto)",
    )
    up.add_argument(
        "--progress-every",
        type=_period,
        default=progress.LOG_EVERY,
        metavar="SECONDS",
        help="seconds between progress log lines (not in place; draining: at most "
        f"{progress.DRAIN_LOG_EVERY:.0f})",
    )
    up.add_argument(
        "--ttl-sweep-every",
        type=_positive_seconds,
        default=expiry.SWEEP_EVERY,
        metavar="SECONDS",
        help="seconds between the deletions of the tables' expired items (Time to Live); DynamoDB "
        "itself takes up to a day or two",
    )
    up.set_defaults(run=run_up)

    send = sub.add_parser("send", help="put JSON lines (submissions or envelopes) onto the stream")
    send.add_argument("file", help="a file of JSON lines, or - for standard input")
    send.set_defaults(run=commands.send)

    tail = sub.add_parser("tail", help="print the events on the stream as JSON lines")
    tail.add_argument(
        "--from",
        dest="start",
        choices=("trim-horizon", "latest"),
        default="trim-horizon",
        help="where to start reading: trim-horizon prints every event the stream still holds "
        "(the oldest first), latest only the events published after tail starts",
    )
    tail.add_argument(
        "--type",
        dest="pattern",
        default="*",
        help="only events whose type matches this glob (user-list-*, aggregate-list-updated, fault)",
    )
    tail.add_argument(
        "--limit", type=int, default=None, help="stop after this many events (default: no limit)"
    )
    tail.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="stop after this many seconds (default: follow the stream until Ctrl-C)",
    )
    tail.set_defaults(run=commands.tail)

    invoke = sub.add_parser("invoke", help="run a function's handler with a Lambda event against the stack")
    invoke.add_argument(
        "function", help="the function's key in serverless.yml (listener, trigger, api, admin)"
    )
    invoke.add_argument(
        "--event", required=True, help="a JSON file with the Lambda event, or - for standard input"
    )
    invoke.set_defaults(run=commands.invoke)

    logs = sub.add_parser("logs", help="print a function's log lines (JSON, metrics included)")
    logs.add_argument("function", help="the function's key in serverless.yml, or its deployed name")
    logs.add_argument("--follow", action="store_true", help="keep printing lines as they come, until Ctrl-C")
    logs.set_defaults(run=logbook.command)
    dlq.add_parser(sub)

    db = sub.add_parser("db", help="the archive database")
    db_sub = db.add_subparsers(required=True, metavar="ACTION")
    migrate = db_sub.add_parser("migrate", help="create or update the archive schema")
    migrate.set_defaults(run=commands.migrate)

    replay = sub.add_parser("replay", help="rebuild every list from the archive (stop the listener first)")
    replay.add_argument(
        "--verify", action="store_true", help="only compare the archive's lists with the table's"
    )
    replay.set_defaults(run=commands.replay)

    again = sub.add_parser(
        "reset",
        help="start over as in a fresh folder: remove the state folder (archive, checkpoints, saved "
        "records, logs, API key) and a SQLite archive kept elsewhere; refused while a stack runs",
    )
    again.set_defaults(run=reset.command)

    return parser


def run_up(arguments: argparse.Namespace) -> int:
    stack = Stack(
        StackOptions(
            config=arguments.config,
            state_dir=arguments.state_dir,
            host=arguments.host,
            aws_port=arguments.aws_port,
            api_port=arguments.api_port,
            stage=arguments.stage,
            region=arguments.region,
            endpoint_url=arguments.endpoint_url,
            env=arguments.settings.environ,
            ttl_sweep_every=arguments.ttl_sweep_every,
        ),
        progress=lambda line: print(f"listmgr: {line}", flush=True),
    )
    # While it starts (a first start takes a while), Ctrl-C or SIGTERM interrupts the start: what
    # was started is stopped again. Once it runs, they drain it.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, signal.default_int_handler)
    # A signal handler may run inside another (two signals at once), even inside Event.set, whose
    # lock is not reentrant: the handlers only put the signal on a queue made for that.
    signals: queue.SimpleQueue[int] = queue.SimpleQueue()
    forced = threading.Event()
    commands.configure_logging()
    if arguments.verbose:
        logging.getLogger("listmgr.mapping").setLevel(logging.DEBUG)
    drained = False
    shown: progress.Progress | None = None
    try:
        try:
            stack.start()
        except KeyboardInterrupt:
            say("interrupted while starting; stopping what had started")
            return 130
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda number, _: signals.put(number))
        print(commands.banner(stack.description, stack.resources, arguments.verbose), flush=True)
        shown = _show_progress(stack, arguments.progress, arguments.progress_every)
        _wait_for(signals)
        threading.Thread(target=_force_on_next, args=(signals, forced), daemon=True, name="force").start()
        if not stack.refuse_writes():
            say("some writes to the API did not end in time; draining without them", shown)
        say(
            "draining: writes are refused now; delivering what was accepted (a second Ctrl-C or SIGTERM "
            "stops at once)",
            shown,
        )
        shown.drain_started()
        drained = stack.drain(forced)
        # The display goes before the last lines, which stay below it.
        shown.stop()
        _hide(shown)
        say("drained: nothing is left to deliver" if drained else "stopping at once")
    finally:
        if shown is not None:  # stop and _hide are once only: here for a start or drain that raised
            shown.stop()
            _hide(shown)
        stack.stop()
    saved = stack.saved
    if saved and (saved.records or saved.messages):
        say(
            f"{saved.records} records were left unapplied and {saved.messages} messages were on the "
            f"failure queue: saved under {arguments.state_dir}/, the next `listmgr up` puts them back"
        )
    elif not drained:
        say("no records were left unapplied")
    if stack.tables_saved is not None:
        say(f"{stack.tables_saved} items of the tables saved under {arguments.state_dir}/ for the next start")
    say("stopped")
    return 0


def _wait_for(signals: "queue.SimpleQueue[int]") -> None:
    """Until a signal came. Waits in short steps: the kernel may deliver a signal to another
    thread, and then a main thread blocked for good would never run the handler."""
    while True:
        try:
            signals.get(timeout=SIGNAL_LOOK)
            return
        except queue.Empty:
            continue


def _force_on_next(signals: "queue.SimpleQueue[int]", forced: threading.Event) -> None:
    signals.get()
    forced.set()


def _positive_seconds(text: str) -> float:
    """`--ttl-sweep-every`: a number of seconds above 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def _period(text: str) -> float:
    """`--progress-every`: a number of seconds within what the display takes."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not progress.SHORTEST_EVERY <= seconds <= progress.LONGEST_EVERY:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds from {progress.SHORTEST_EVERY} to "
            f"{progress.LONGEST_EVERY:.0f}"
        )
    return seconds


def _show_progress(stack: Stack, how: str, every: float) -> progress.Progress:
    """The display of the mappings, started; on a terminal, log lines go above it from now on."""
    live = how == "live" or (how == "auto" and sys.stderr.isatty() and os.environ.get("TERM") != "dumb")
    shown = progress.Progress(stack.mappings, stack.totals, sys.stderr, live, every=every)
    if live:
        root = logging.getLogger()
        above = shown.handler()
        for handler in list(root.handlers):
            above.setFormatter(handler.formatter)
            root.removeHandler(handler)
        root.addHandler(above)
    shown.start()
    return shown


def _hide(shown: progress.Progress) -> None:
    """Log lines straight to stderr again once the display is gone."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, progress.Above) and handler.progress is shown:
            root.removeHandler(handler)
            fresh = logging.StreamHandler()
            fresh.setFormatter(handler.formatter)
            root.addHandler(fresh)


def say(line: str, shown: progress.Progress | None = None) -> None:
    """A line on stdout, above the display while it is shown in place."""
    if shown is not None:
        shown.say(f"listmgr: {line}", sys.stdout)
    else:
        print(f"listmgr: {line}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
