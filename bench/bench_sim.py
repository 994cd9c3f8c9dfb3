"""PBX simulator throughput and memory (figures and same-run ratios, not tests).

1. A seeded peak day (PEAK_DAY_CALLS = 1,949 expected calls, 60 seats, seed 11) produced as
   AMI bytes as fast as the simulator can: `HotlineModel` + `DailyTraffic` run through the
   whole day on their own clock, every event rendered with `AmiEvent.encode()` (what the
   loopback server sends to a client).
2. The same bytes through the listener pipeline on a SQLite file: split + parse, journal,
   correlate, store, callback intake, in batches of about 200 frames (as bench_pipeline).
   Baseline: merely splitting and parsing the same chunks (`FrameSplitter.feed`, frames dropped).
   Target: the simulator produces the day faster than the listener consumes it.
3. A 1,000-seat, 100,000-call day, rendered to bytes and thrown away, in a fresh Python process
   so its peak RSS (VmHWM, the high-water mark so far) is its own. The peak is read after
   1,000 / 10,000 / 50,000 calls and at the end of the day.
   Targets: the day completes; the peak at 100,000 calls is at most 1.3 x the peak at 10,000
   calls (as bench_pipeline compares 1x and 4x the calls). The model keeps two capped buffers
   (the first 10,000 finished calls, the last 50,000 queue_log lines) that fill during the first
   ~30,000 calls, so the growth over the start and the bytes per call after 50,000 are printed too.
"""
from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIDNIGHT = 1796256000.0          # 2026-12-03 00:00 UTC, the day_start of tests/sim
SEED = 11
BIG_SEATS = 1000
BIG_CALLS = 100_000
CHECKPOINTS = (1_000, 10_000, 50_000)


def _day(calls: int, seats: int, sink) -> "HotlineModel":  # noqa: F821
    from contactcenter.sim.model import HotlineModel
    from contactcenter.sim.traffic import DailyTraffic, TrafficSettings

    model = HotlineModel(seats=seats, seed=SEED, start=MIDNIGHT, keep_events=False)
    model.listeners.append(sink)
    DailyTraffic(model, TrafficSettings(calls_per_day=calls), seed=SEED, day_start=MIDNIGHT).install()
    return model


def _peak_day_bytes(calls: int) -> tuple[float, bytes, "HotlineModel"]:  # noqa: F821
    out: list[bytes] = []

    def sink(ev) -> None:
        out.append(ev.encode())

    model = _day(calls, 60, sink)
    gc.collect()
    started = time.perf_counter()
    model.run_until(MIDNIGHT + 86400)
    raw = b"".join(out)
    return time.perf_counter() - started, raw, model


def _maxrss_mb() -> float:
    """This process's peak RSS so far. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    fork + exec, so a child started by a big parent would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # kB on Linux


def big_day(calls: int = BIG_CALLS, seats: int = BIG_SEATS) -> dict:
    """Run in the child process: the whole day, events encoded and dropped; JSON figures."""
    counted = {"events": 0, "bytes": 0}

    def sink(ev) -> None:
        counted["events"] += 1
        counted["bytes"] += len(ev.encode())

    model = _day(calls, seats, sink)
    gc.collect()
    base = _maxrss_mb()
    marks: dict[str, float] = {}
    pending = list(CHECKPOINTS)
    most_members = 0
    started = time.perf_counter()
    t = MIDNIGHT
    while t < MIDNIGHT + 86400:
        t = min(MIDNIGHT + 86400, t + 60.0)
        model.run_until(t)
        most_members = max(most_members, len(model.members))
        while pending and model.stats["calls"] >= pending[0]:
            marks[str(pending.pop(0))] = _maxrss_mb()
    elapsed = time.perf_counter() - started
    marks[str(model.stats["calls"])] = _maxrss_mb()
    return {"calls": model.stats["calls"], "seats": seats, "elapsed": elapsed, "events": counted["events"],
            "bytes": counted["bytes"], "base_mb": base, "peak_mb": marks, "most_members": most_members,
            "live_at_end": len(model.calls), "finished_kept": len(model.finished),
            "queue_log_kept": len(model.queue_log),
            "outcomes": {k.removeprefix("outcome_"): v for k, v in sorted(model.stats.items())
                         if k.startswith("outcome_")}}


def bench_peak_day() -> list[tuple[str, bool]]:
    from bench.bench_pipeline import BATCH, _chunks
    from bench.bench_pipeline import _pipeline as run_pipeline
    from contactcenter.ami.protocol import FrameSplitter
    from contactcenter.db import dispose_engines
    from contactcenter.sim.traffic import PEAK_DAY_CALLS

    sim_s, raw, model = _peak_day_bytes(PEAK_DAY_CALLS)
    events = sum(v for k, v in model.stats.items() if k[:1].isupper())
    sim_rate = events / sim_s
    print(f"  peak day: {model.stats['calls']} calls placed (expected {PEAK_DAY_CALLS:,}), 60 seats, seed {SEED}: "
          f"{events:,} events, {len(raw) / 1e6:.1f} MB of AMI")
    print(f"  simulator (model + AMI rendering): {sim_rate:10,.0f} events/s ({sim_s:.2f} s for the day)")

    chunks = _chunks(raw, int(BATCH * len(raw) / events))
    del raw
    splitter, parsed = FrameSplitter(), 0
    started = time.perf_counter()
    for chunk in chunks:
        parsed += len(splitter.feed(chunk))
    parse_s = time.perf_counter() - started
    assert parsed == events, (parsed, events)
    parse_rate = events / parse_s
    print(f"  baseline split+parse:              {parse_rate:10,.0f} events/s ({parse_s:.2f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        pipe_s, frames, logger = run_pipeline(chunks, tmp, "peak.db")  # the listener, as in bench_pipeline
        dispose_engines()
    assert frames == events, (frames, events)
    pipe_rate = events / pipe_s
    print(f"  listener pipeline (SQLite file):   {pipe_rate:10,.0f} events/s ({pipe_s:.2f} s; "
          f"{logger.calls_closed} calls stored)")
    ratio = sim_rate / pipe_rate
    print(f"  ratio simulator / listener: {ratio:.2f}; listener / bare parse: {pipe_rate / parse_rate:.2f}")
    return [(f"simulator produces the peak day faster than the listener consumes it "
             f"({sim_rate:,.0f} vs {pipe_rate:,.0f} events/s, {ratio:.1f}x)", ratio > 1.0)]


def bench_big_day() -> list[tuple[str, bool]]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bench.bench_sim", "--big-day"], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        print("  the 100,000-call day failed:\n" + proc.stderr[-2000:])
        return [(f"{BIG_SEATS:,}-seat, {BIG_CALLS:,}-call day completes (exit {proc.returncode})", False)]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    out = ", ".join(f"{k} {v:,}" for k, v in r["outcomes"].items())
    print(f"  big day: {r['calls']:,} calls, {r['seats']:,} seats (at most {r['most_members']} logged in), "
          f"{r['events']:,} events, {r['bytes'] / 1e9:.2f} GB of AMI rendered and dropped")
    print(f"    outcomes: {out}")
    print(f"    time: {r['elapsed']:.1f} s ({r['events'] / r['elapsed']:,.0f} events/s; "
          f"child process {wall:.1f} s in all)")
    base, peaks = r["base_mb"], r["peak_mb"]
    shown = ", ".join(f"{int(k):,} calls {v:.1f} MB" for k, v in peaks.items())
    print(f"    peak RSS: before the day {base:.1f} MB; after {shown}")
    at10, at50, at_end = peaks[str(CHECKPOINTS[1])], peaks[str(CHECKPOINTS[2])], peaks[str(r["calls"])]
    ratio = at_end / at10
    tail = (at_end - at50) * 1e6 / (r["calls"] - CHECKPOINTS[2])
    print(f"    ratio {r['calls']:,} / 10,000 calls: {ratio:.2f} (over the start: +{at10 - base:.1f} MB at 10,000, "
          f"+{at_end - base:.1f} MB at {r['calls']:,}; {tail:.0f} bytes per call after 50,000)")
    print(f"    the model's own capped buffers: {r['finished_kept']:,} finished calls (model.finished), "
          f"{r['queue_log_kept']:,} queue_log lines")
    return [
        (f"{BIG_SEATS:,}-seat, {BIG_CALLS:,}-call day completes ({r['elapsed']:.0f} s, peak {at_end:.0f} MB)", True),
        (f"peak memory flat: {r['calls']:,} calls <= 1.3 x 10,000 calls (ratio {ratio:.2f})", ratio <= 1.3),
    ]


def main() -> list[tuple[str, bool]]:
    try:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    print(f"  machine: {os.cpu_count()} CPUs, load average {load} (timings scale with it)")
    return bench_peak_day() + bench_big_day()


if __name__ == "__main__":
    if sys.argv[1:] == ["--big-day"]:
        print(json.dumps(big_day()))
    else:
        for target, ok in main():
            print("PASS" if ok else "MISS", target)
