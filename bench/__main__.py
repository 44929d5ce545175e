"""`make bench`: what the listener, the trigger, the API and the local stack cost, against
baselines measured in the same run on the same data; writes bench/results.json.

    python -m bench [--smoke] [--out PATH] [--parts listener,trigger,decode,cold,stack]

1. Listener vs the original sample's algorithm and vs a Powertools listener (bench/
   powertools_listener.py), on the same Zipf workload, at batch sizes 1,000 and 100, against
   moto: DynamoDB requests, write and read units per 1,000 records (counted from the requests:
   they hold on AWS), records/s (moto's), CPU per record of the handler's thread; one hot user
   list receiving every record; steady state with 25 hours of outcomes already held.
2. Trigger: Kinesis requests per 1,000 table changes, PutRecords vs one PutRecord each.
3. Decode and validate per record of a 1,000-record event vs Powertools' parser models.
4. Cold start of each handler vs boto3 making the same calls (bench/coldstart.py).
5. The local stack through `listmgr up` (bench/stack.py): e2e latency, read-your-writes latency,
   peak RSS under load, records/s of the whole stack, API requests/s.

`--smoke` runs everything at a tiny scale (the test that keeps this from rotting).
"""

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import coldstart_runner, core_bench, listener_bench, parse_bench, stack, trigger_bench
from bench.results import Figure, markdown, read, write
from listmgr.endpoint import moto_server
from tests.support.aws import Aws, free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scale:
    ours_records: int
    baseline_records: int
    held_records: int
    hot_records: int
    decode_repeats: int
    cold_runs: int
    latency_samples: int
    load_records: int
    api_requests: int


PARTS = ("listener", "trigger", "decode", "cold", "stack")


def _part_of(name: str) -> str:
    if name.startswith("trigger"):
        return "trigger"
    if name.startswith("decode"):
        return "decode"
    if name.startswith("cold_start"):
        return "cold"
    if name.startswith("listener"):
        return "listener"
    return "stack"


FULL = Scale(5000, 1000, 10_000, 5000, 5, 5, 100, 10_000, 400)
SMOKE = Scale(50, 5, 100, 60, 1, 1, 1, 50, 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="a tiny scale: checks it runs, not how fast")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="which parts to run; the figures of the others are kept from --out",
    )
    arguments = parser.parse_args(argv)
    scale = SMOKE if arguments.smoke else FULL
    parts = set(arguments.parts.split(","))
    figures: dict[str, list[Figure]] = {part: [] for part in PARTS}
    if arguments.out.exists():
        for figure in read(arguments.out):
            figures[_part_of(figure.name)].append(figure)
    port = free_port()
    server = moto_server.start("127.0.0.1", port)
    aws = Aws(f"http://127.0.0.1:{port}")
    try:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            if "listener" in parts:
                figures["listener"] = listener_bench.figures(
                    aws, folder, scale.ours_records, scale.baseline_records
                )
                figures["listener"].append(core_bench.figure(scale.ours_records))
                figures["listener"] += listener_bench.hot_list(
                    aws, folder, scale.hot_records, scale.baseline_records
                )
                figures["listener"] += listener_bench.steady(
                    aws, folder, scale.ours_records, scale.held_records
                )
            if "trigger" in parts:
                figures["trigger"] = [trigger_bench.figure(aws)]
            if "decode" in parts:
                figures["decode"] = [parse_bench.figure(scale.decode_repeats)]
            if "cold" in parts:
                figures["cold"] = coldstart_runner.figures(aws, folder, scale.cold_runs)
    finally:
        server.stop()
    if "stack" in parts:
        figures["stack"] = stack.figures(scale.latency_samples, scale.load_records, scale.api_requests)
    everything = [figure for part in PARTS for figure in figures[part]]
    write(everything, arguments.out)
    print(markdown(everything))
    print(f"\nwritten to {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
