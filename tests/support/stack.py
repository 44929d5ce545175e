"""The local stack as a user runs it: `listmgr up` in a folder of its own, driven over HTTP."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from shared.events.codec import dumps, loads
from tests.support.aws import ROOT, free_port

LISTMGR = str(Path(sys.executable).with_name("listmgr"))


T = TypeVar("T")


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    folder: Path
    info: dict[str, Any]

    @property
    def api(self) -> str:
        return str(self.info["api_url"])

    @property
    def key(self) -> str:
        return str(self.info["api_key"])

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        key: str | None = None,
    ) -> Response:
        data = None if body is None else (body if isinstance(body, bytes) else dumps(body).encode())
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.api + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Response(response.status, _json(response.read()), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, _json(error.read()), dict(error.headers))

    def listmgr(
        self, *arguments: str, stdin: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [LISTMGR, *arguments],
            check=False,
            cwd=self.folder,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=stack_environment(),
        )

    def events(
        self, pattern: str = "*", limit: int | None = None, timeout: float = 60
    ) -> list[dict[str, Any]]:
        arguments = ["tail", "--type", pattern, "--timeout", str(timeout)]
        if limit is not None:
            arguments += ["--limit", str(limit)]
        result = self.listmgr(*arguments, timeout=timeout + 30)
        return [loads(line) for line in result.stdout.splitlines() if line.strip()]


def _json(raw: bytes) -> Any:
    return loads(raw) if raw else None


def stack_environment() -> dict[str, str]:
    environment = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL", "LISTMGR_ARCHIVE_URL"):
        environment.pop(name, None)
    return environment


def wait_for(probe: Callable[[], T | None], timeout: float = 60, every: float = 0.25) -> T:
    """The first truthy result of `probe`, or a failure once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting after {timeout} s; last result: {result!r}")
        time.sleep(every)


def up_command(*extra_arguments: str) -> list[str]:
    """`listmgr up` of this project on free ports."""
    return [
        LISTMGR,
        "up",
        "--config",
        str(ROOT / "serverless.yml"),
        "--aws-port",
        str(free_port()),
        "--api-port",
        str(free_port()),
        *extra_arguments,
    ]


def start_stack(folder: Path, extra_arguments: tuple[str, ...] = ()) -> RunningStack:
    process = subprocess.Popen(
        up_command(*extra_arguments),
        cwd=folder,
        stdout=(folder / "up.log").open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env=stack_environment(),
    )
    description = folder / ".listmgr" / "stack.json"

    def ready() -> dict[str, Any] | None:
        if process.poll() is not None:
            pytest.fail(f"listmgr up exited with {process.returncode}:\n{(folder / 'up.log').read_text()}")
        return json.loads(description.read_text()) if description.exists() else None

    return RunningStack(process, folder, wait_for(ready, timeout=90))


def stop_stack(stack: RunningStack) -> int:
    stack.process.send_signal(signal.SIGINT)
    return stack.process.wait(timeout=60)


DOCUMENTED_API = "API=http://127.0.0.1:8000\n"
"""How the documents' shell blocks name the API (the port `listmgr up` listens on by default)."""


def pasted(block: str, stack: RunningStack, timeout: float = 180) -> str:
    """What a documented shell block prints when pasted whole into bash in the stack's folder.
    The one change a reader's paste does not need: this stack's API listens on a free port."""
    assert DOCUMENTED_API in block
    result = subprocess.run(
        ["bash", "-e", "-c", block.replace(DOCUMENTED_API, f"API={stack.api}\n")],
        cwd=stack.folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
