"""The local stack as a whole, through a running `listmgr up` (its own ports, its own folder).

- e2e latency: POST /lists, then GET the user list until it shows (10 ms polls), p50 and p99;
- read-your-writes latency: POST with `Prefer: wait=10` until its 200, p50;
- API requests/s: POSTs from 4 client threads;
- records/s of the whole stack and its peak RSS: `load` submissions put on the stream (PutRecords,
  500 a call), timed until the listener has given all of them an outcome (its batch log lines
  count them), and the process's VmHWM then. All of it is moto's speed, not AWS's.
"""

import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

from bench.results import Figure, alone
from bench.workload import submissions
from shared.events.partition import partition_key
from tests.support.stack import up_command

DECIDED = ("applied", "superseded", "duplicate", "faults")
STALL = 60.0


class Stack:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log = (folder / "up.log").open("w")
        # The state folder is the default, .listmgr in the folder it runs in.
        self.process = subprocess.Popen(
            up_command(),
            cwd=folder,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"},
        )
        state = folder / ".listmgr" / "stack.json"
        deadline = time.monotonic() + 120
        while not state.exists() or not state.read_text().strip():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"listmgr up did not start: {(folder / 'up.log').read_text()[-2000:]}")
            time.sleep(0.2)
        time.sleep(0.2)
        self.info: dict[str, Any] = json.loads(state.read_text())
        self.api = self.info["api_url"].rstrip("/")

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.info['api_key']}")
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                status: int = response.status
                return status
        except urllib.error.HTTPError as error:
            return int(error.code)

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def decided(self) -> int:
        """How many changes the listener has given an outcome so far, from its batch log lines in
        its log file (a superseded rank submission is never archived, so the archive cannot tell)."""
        count = 0
        log = self.folder / ".listmgr" / "logs" / "listener.jsonl"  # the listener's own lines
        if not log.exists():
            return 0
        for line in log.read_text(errors="replace").splitlines():
            if '"listener batch"' not in line:
                continue
            try:
                batch = json.loads(line[line.index("{") :])
            except ValueError:
                continue
            count += sum(int(batch.get(name, 0)) for name in DECIDED)
        return count

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGINT)  # a second Ctrl-C stops at once
            self.process.wait(timeout=30)
        self.log.close()


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def latency(stack: Stack, samples: int) -> list[float]:
    found = []
    for n in range(samples):
        user = f"latency {n} {uuid.uuid4().hex[:6]}"
        submission = {"title": "bench latency", "user": user, "type": "tally", "entries": {"xp": 1}}
        started = time.perf_counter()
        assert stack.request("POST", "/lists", submission) == 202
        while stack.request("GET", f"/lists/{quote('bench latency')}/users/{quote(user)}") != 200:
            if time.perf_counter() - started > 60:
                raise RuntimeError("a POST did not show within 60 s")
            time.sleep(0.01)
        found.append((time.perf_counter() - started) * 1000)
    return found


def wait_latency(stack: Stack, samples: int) -> list[float]:
    found = []
    for n in range(samples):
        user = f"wait {n} {uuid.uuid4().hex[:6]}"
        submission = {"title": "bench wait", "user": user, "type": "tally", "entries": {"xp": 1}}
        started = time.perf_counter()
        status = stack.request("POST", "/lists", submission, {"Prefer": "wait=10"})
        if status != 200:
            raise RuntimeError(f"Prefer: wait=10 answered {status}")
        found.append((time.perf_counter() - started) * 1000)
    return found


def api_rate(stack: Stack, requests: int) -> float:
    def post(n: int) -> int:
        submission = {"title": "bench api", "user": f"api {n % 50}", "type": "tally", "entries": {"xp": 1}}
        return stack.request("POST", "/lists", submission)

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(post, range(requests)))
    elapsed = time.perf_counter() - started
    if any(status != 202 for status in statuses):
        raise RuntimeError(f"the API refused POSTs: {sorted(set(statuses))}")
    return requests / elapsed


def load(stack: Stack, records: int) -> float:
    prefix = f"load {uuid.uuid4().hex[:6]} "
    documents = [{**doc, "title": prefix + doc["title"]} for doc in submissions(records, seed=5)]
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=stack.info["aws_endpoint_url"],
        region_name=stack.info["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    before = stack.decided()
    started = time.perf_counter()
    for start in range(0, len(documents), 500):
        pending = [
            {"Data": json.dumps(doc).encode(), "PartitionKey": partition_key(doc["title"], doc["user"])}
            for doc in documents[start : start + 500]
        ]
        while pending:
            answer = kinesis.put_records(StreamName=stack.info["stream_name"], Records=pending)
            pending = [
                entry
                for entry, result in zip(pending, answer["Records"], strict=True)
                if "ErrorCode" in result
            ]
    # Until every record has an outcome; a record that gets none while nothing moves for
    # STALL seconds is reported, and the rate is taken over the records that were decided.
    decided, progressed = 0, time.perf_counter()
    while decided < records:
        now_decided = stack.decided() - before
        if now_decided > decided:
            decided, progressed = now_decided, time.perf_counter()
        elif time.perf_counter() - progressed > STALL:
            print(f"   stack: WARNING only {decided} of {records} records got an outcome", flush=True)
            break
        time.sleep(0.25)
    elapsed = progressed - started
    print(f"   stack: {decided} records decided in {elapsed:.1f} s", flush=True)
    return decided / elapsed


def figures(samples: int, records: int, api_requests: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(Path(folder))
        try:
            p = latency(stack, samples)
            wait = wait_latency(stack, max(1, samples // 3))
            api = api_rate(stack, api_requests)
            e2e = load(stack, records)
            rss = stack.peak_rss_mb()
        finally:
            stack.stop()
    p.sort()
    p99 = p[min(len(p) - 1, round(0.99 * (len(p) - 1)))]
    return [
        alone("e2e_latency_p50_ms", "ms, POST to visible (listmgr up, moto)", statistics.median(p)),
        alone("e2e_latency_p99_ms", "ms, POST to visible (listmgr up, moto)", p99),
        alone("e2e_wait_latency_p50_ms", "ms, POST with Prefer: wait=10 until 200", statistics.median(wait)),
        alone("peak_rss_mb", f"MiB, listmgr up after {records:,} records", rss),
        alone("e2e_records_per_s", "records / s through listmgr up (moto's)", e2e),
        alone("api_requests_per_s", "POST /lists / s, 4 clients (listmgr up)", api),
    ]
