"""The end-to-end benchmarks' machinery at a tiny size, so that it cannot rot: real processes (the emulator,
`linemod serve`, the SDK pattern, the floor), every reply found in the emulator's chat log, figures printed and
a plot written. No figure is asserted: speed is for the benchmarks themselves to report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_benchmark(script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'benchmarks'}"}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True,
                          text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_e2e_answers_every_message_once_and_prints_and_plots_its_figures(tmp_path: Path) -> None:
    plot = tmp_path / "e2e.png"
    out = run_benchmark("e2e.py", "--engines", "sqlite", "--rounds", "1", "--seconds", "1", "--oas", "2",
                        "--users", "4", "--in-flight", "4", "--rate", "20", "--burst", "5", "--bursts", "1",
                        "--plot", str(plot))
    servers = ["linemod serve (sqlite)", "sdk: WebhookParser + AsyncMessagingApi", "floor: reply, no checks"]
    for server in servers:
        row = re.search(rf"^{re.escape(server)} +(\d+) +(\d+)% +(\d+) ", out, re.MULTILINE)
        assert row and int(row.group(1)) > 0, out  # replies were counted: the chat log was followed
    assert out.count("missing 0, duplicated 0") == len(servers), out
    assert "goal for linemod serve (sqlite)" in out
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_tenants_spreads_the_load_over_each_count_of_oas(tmp_path: Path) -> None:
    plot = tmp_path / "tenants.png"
    # One count only (each `linemod serve` start costs seconds): 2 OAs for 3 users, so users share OAs.
    out = run_benchmark("tenants.py", "--oas", "2", "--users", "3", "--rounds", "1", "--seconds", "1",
                        "--rate", "10", "--plot", str(plot))
    rows = re.findall(r"^ +(\d+) +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +(\d+) +(\d+)$", out, re.MULTILINE)
    assert rows == [("2", "0", "0")], out
    assert "goal (pooled CPU per message and p99 at 2 OAs within 10 % of 2 OA)" in out
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_the_worker_backlog_curve_deleting_or_draining_prints_every_depth_and_plots(tmp_path: Path) -> None:
    # Both ways of reading the curve, on both engines, at a tiny size: every depth gets a figure each round (a
    # drain that left events waiting would exit with an error).
    for mode in ([], ["--drain"]):
        plot = tmp_path / f"backlog{len(mode)}.png"
        out = run_benchmark("worker.py", "--engines", "sqlite,postgres", "--backlog", "20,100", "--window", "40",
                            "--rounds", "2", "--plot", str(plot), *mode)
        for depth in ("20", "100"):
            figures = re.findall(rf"^  round \d depth +{depth}: +\d+ events/s +\d+ µs CPU$", out, re.MULTILINE)
            assert len(figures) == 4, out  # 2 rounds, 2 engines
        assert len(re.findall(r"^ +100 waiting: +\d+ events/s .* ratio [\d.]+ ", out, re.MULTILINE)) == 2, out
        assert plot.read_bytes().startswith(b"\x89PNG")
