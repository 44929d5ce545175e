"""`make bench` at a tiny scale, so the benchmark keeps running as the code changes: every figure
of the issue is in results.json with its baseline where it has one. Nothing is timed or compared."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = [
    "listener_requests_per_1000_vs_sample",
    "listener_write_units_per_1000_vs_sample",
    "listener_requests_per_1000_vs_powertools",
    "listener_write_units_per_1000_vs_powertools",
    "listener_records_per_s_vs_sample",
    "listener_records_per_s_vs_powertools",
    "listener_read_units_per_1000",
    "listener_cpu_us_per_record",
]
NO_BASELINE = [
    "e2e_latency_p50_ms",
    "e2e_latency_p99_ms",
    "e2e_wait_latency_p50_ms",
    "peak_rss_mb",
    "e2e_records_per_s",
    "api_requests_per_s",
]
OTHERS = [
    "trigger_requests_per_1000_vs_put_record",
    "decode_us_per_record_vs_powertools",
    "cold_start_ms_listener_vs_boto3",
    "cold_start_ms_trigger_vs_boto3",
    "cold_start_ms_api_vs_boto3",
    "listener_core_us_per_record",
    "listener_write_units_per_1000_hot_list",
    "listener_read_units_per_1000_hot_list",
    "listener_write_units_per_record_steady",
    "listener_read_units_per_record_steady",
]


@pytest.mark.slow
def test_bench_smoke_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = {figure["name"]: figure for figure in json.loads(out.read_text())}
    expected = NAMES + [name + "_b100" for name in NAMES] + OTHERS + NO_BASELINE
    assert sorted(figures) == sorted(expected)
    for name in expected:
        figure = figures[name]
        assert set(figure) == {"name", "unit", "value", "baseline", "ratio"}
        assert figure["value"] > 0, figure
        if name in NO_BASELINE:
            assert figure["baseline"] is None and figure["ratio"] is None
        else:
            assert figure["baseline"] > 0 and figure["ratio"] > 0, figure
    # Counted, not timed: the same on any machine.
    assert figures["listener_requests_per_1000_vs_sample"]["baseline"] == 4000
    assert figures["trigger_requests_per_1000_vs_put_record"]["baseline"] == 1000
