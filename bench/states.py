"""Large states through the warm JavaScript engine: how much the engine's memory grows while a 50 MB state
goes in and comes out, against the payload's size.

The engine is reached as a task reaches it (``openfn.node.engine.EngineRun``), in a socket folder of its
own, with a job that returns its state unchanged (``fn(state => state)``: the input and the output are each
the payload). Two shapes of payload: one long string, and records (small objects of short strings, as an
export of patients is). The engine process's RSS is sampled every 5 ms from just before the request is
sent until its result is read; each shape runs ``--rounds`` times in the same engine (the first run after
the engine starts, then a warm one).

The baseline, measured in the same run: the same job with ``[openfn] js_engine = process`` (a Node.js
process of its own for the run, ``js/src/run.mjs``): its peak RSS over the peak of a run of a trivial
state.

    .venv/bin/python bench/states.py [--mb 50] [--rounds 3] [--limit-mb 500]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from openfn.node import engine as engine_module  # noqa: E402
from openfn.node.engine import EngineRun  # noqa: E402
from openfn.node.process import NodeProcess  # noqa: E402

JS_DIR = ROOT / "js"
NODE = "node"
RECORD = {"id": 0, "name": "Jack Wilshere", "gender": "M", "birthdate": "1992-01-01", "village": "Kibera", "phone": "+254700000000"}


def payload(shape: str, size: int) -> dict:
    if shape == "one string":
        return {"data": {"text": "x" * size}}
    count = size // len(json.dumps(RECORD))
    return {"data": {"patients": [dict(RECORD, id=n) for n in range(count)]}}


def request(state: dict) -> dict:
    return {"job": "pass", "workflow": "bench.pass", "expression": "fn(state => state);",
            "adaptor": {"name": "@openfn/language-common", "version": "3.3.4"}, "state": state,
            "configuration": {}, "timeout_ms": 600_000}  # fmt: skip


class Peak:
    """Peak RSS of one process (found by ``find``, which may return None until it exists) while sampling."""

    def __init__(self, find) -> None:
        self.find = find
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        process = None
        while not self._stop.is_set():
            try:
                process = process or self.find()
                if process is not None:
                    self.peak = max(self.peak, process.memory_info().rss)
            except psutil.Error:
                process = None
            self._stop.wait(0.005)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def engine_process() -> psutil.Process:
    log = Path(f"{engine_module.socket_path(JS_DIR, NODE)}.log")
    return psutil.Process(int(re.findall(r"openfn engine (\d+) listening", log.read_text())[-1]))


def warm(state: dict, limit_mb: int) -> tuple[int, float]:
    """(peak RSS growth of the engine, seconds) for one run of ``state``."""
    engine = engine_process()
    time.sleep(1.0)
    base = engine.memory_info().rss
    sampler = Peak(lambda: engine)
    started = time.monotonic()
    client = EngineRun(NODE, JS_DIR, memory_limit_mb=limit_mb, default_limit_mb=500, on_log=lambda level, message: None)
    result = client.run(request(state), timeout=900)
    seconds = time.monotonic() - started
    peak = sampler.stop()
    if not result or result.get("status") != "success" or result["state"] != state:
        raise RuntimeError(f"the state did not come back unchanged: {str(result)[:300]}")
    return peak - base, seconds


def in_process(state: dict) -> tuple[int, float]:
    """(peak RSS, seconds) of a Node.js process of its own running ``state``."""
    runner = NodeProcess(NODE, JS_DIR / "src" / "run.mjs", cwd=JS_DIR, on_log=lambda level, message: None)
    sampler = Peak(lambda: psutil.Process(runner.process.pid) if runner.process else None)
    started = time.monotonic()
    result = runner.run(request(state), timeout=900)
    seconds = time.monotonic() - started
    peak = sampler.stop()
    if not result or result.get("status") != "success" or result["state"] != state:
        raise RuntimeError(f"the state did not come back unchanged: {str(result)[:300]}")
    return peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50, help="payload size in MiB (of its JSON text)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit-mb", type=int, default=500, help="the runs' memory limit ([openfn] run_memory_limit_mb's default)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="oe-bench-")  # short: a Unix socket path holds 108 bytes at most
    tempfile.tempdir = folder
    rows = []
    try:
        EngineRun(NODE, JS_DIR, memory_limit_mb=500, default_limit_mb=500, on_log=lambda level, message: None).run(request({"data": {}}), timeout=120)
        trivial, _ = in_process({"data": {}})
        for shape in ("one string", "records"):
            state = payload(shape, args.mb * 2**20)
            size = len(json.dumps(state, separators=(",", ":")))
            warm_runs = [warm(state, args.limit_mb) for _ in range(args.rounds)]
            process_runs = [in_process(state) for _ in range(args.rounds)]
            rows.append((shape, size, warm_runs, [(peak - trivial, seconds) for peak, seconds in process_runs]))
            print(f"  {shape} done", file=sys.stderr, flush=True)
    finally:
        try:
            engine_process().send_signal(signal.SIGTERM)
        except (OSError, IndexError, psutil.Error):
            pass
        shutil.rmtree(folder, ignore_errors=True)
    print(f"A {args.mb} MiB state in and out (`fn(state => state)`), {args.rounds} runs each; peak RSS growth over the level before the run")
    print("(warm engine: the engine process; process: a Node.js process of its own, over a trivial run's peak). Goal: under 3x the payload.\n")
    print("| payload | JSON size | warm: first run | warm: later runs (median) | × payload | process (median) | × payload | seconds warm / process (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for shape, size, warm_runs, process_runs in rows:
        later = statistics.median(grown for grown, _ in warm_runs[1:]) if len(warm_runs) > 1 else warm_runs[0][0]
        process = statistics.median(grown for grown, _ in process_runs)
        print(f"| {shape} | {size / 2**20:.0f} MiB | {warm_runs[0][0] / 2**20:.0f} MiB | {later / 2**20:.0f} MiB | {later / size:.1f}× "
              f"| {process / 2**20:.0f} MiB | {process / size:.1f}× | {statistics.median(s for _, s in warm_runs):.1f} / {statistics.median(s for _, s in process_runs):.1f} |")


if __name__ == "__main__":
    main()
