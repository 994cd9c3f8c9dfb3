"""Call logging throughput and memory (issue 2).

Figures, on the largest capture (load-part1), in one run:
* baseline: merely splitting and parsing the bytes (contactcenter.ami.protocol.parse_all);
* the whole pipeline on a SQLite file: split + parse, journal, correlate, store, callback intake,
  fed in batches of 200 frames (about what one 64 kB TCP read carries); like the live listener
  it parses in full only the frames the call records use (`CallLogger.parse_filter`) and
  journals the others raw;
* memory: tracemalloc peak while the pipeline runs over the capture repeated 1× and 4× with
  fresh call ids (more finished calls must not mean more memory).
Targets: ≥ 20,000 events/s and ≥ 0.5 × the bare parse speed; peak memory flat.
"""
from __future__ import annotations

import gc
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from contactcenter.ami.capture import open_capture_bytes
from contactcenter.ami.journal import Journal
from contactcenter.ami.protocol import STATUS_UNPARSED, FrameSplitter, parse_all
from contactcenter.config import load_settings
from contactcenter.db import dispose_engines, upgrade
from contactcenter.listener import CallLogger

CAPTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "captures" / "load-part1"
BATCH = 200


def _pipeline(raw_chunks: list[bytes], workdir: str, name: str) -> tuple[float, int, CallLogger]:
    url = f"sqlite:///{os.path.join(workdir, name)}"
    upgrade(url)
    settings = load_settings(env={}, db_url=url)
    logger = CallLogger(url, settings, journal=Journal(url, source="bench"))
    # the listener's own splitter: frames of events no call record uses are journaled raw
    splitter = FrameSplitter(parse_filter=logger.parse_filter)
    frames_seen = 0
    started = time.perf_counter()
    for chunk in raw_chunks:
        frames = splitter.feed(chunk)
        frames_seen += len(frames)
        logger.on_frames(frames, 1)
    logger.flush()
    return time.perf_counter() - started, frames_seen, logger


def _chunks(raw: bytes, size: int) -> list[bytes]:
    """Cut at frame ends so each chunk holds about BATCH frames, as a TCP read would."""
    out, start = [], 0
    while start < len(raw):
        end = min(len(raw), start + size)
        nxt = raw.find(b"\r\n\r\n", end)
        end = len(raw) if nxt == -1 else nxt + 4
        out.append(raw[start:end])
        start = end
    return out


def _with_fresh_ids(raw: bytes, k: int) -> bytes:
    return raw.replace(b"hotline-rig-", f"hotline-rig{k}-".encode())


def main() -> list[tuple[str, bool]]:
    raw = open_capture_bytes(CAPTURE)
    frames_per_byte = len(parse_all(raw)) / len(raw)
    chunk_bytes = int(BATCH / frames_per_byte)

    best_parse = min(_timed(lambda: parse_all(raw)) for _ in range(3))
    events = len(parse_all(raw))
    parse_rate = events / best_parse
    print(f"  capture: load-part1, {len(raw) / 1e6:.1f} MB, {events} frames")
    print(f"  baseline split+parse:        {parse_rate:10,.0f} events/s ({best_parse:.3f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for i in range(3):
            elapsed, n, logger = _pipeline(_chunks(raw, chunk_bytes), tmp, f"run{i}.db")
            runs.append(elapsed)
        elapsed = min(runs)
        rate = events / elapsed
        print(f"  whole pipeline (SQLite file): {rate:10,.0f} events/s ({elapsed:.3f} s; "
              f"{logger.calls_closed} calls closed)")
        ratio = rate / parse_rate
        print(f"  ratio pipeline / bare parse:  {ratio:.2f}")
        splitter = FrameSplitter(parse_filter=logger.parse_filter)
        unparsed = sum(f.status == STATUS_UNPARSED for f in splitter.feed(raw))
        print(f"  the pipeline parsed {events - unparsed:,} frames in full; {unparsed:,} events no call record "
              f"uses (VarSet of other variables, CEL, RTCP, Newexten, ...) were journaled raw")

        peaks = {}
        for repeats in (1, 4):
            chunks = _chunks(b"".join(_with_fresh_ids(raw, k) for k in range(repeats)), chunk_bytes)
            gc.collect()
            tracemalloc.start()
            _, _, logger = _pipeline(chunks, tmp, f"mem{repeats}.db")
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            peaks[repeats] = (peak, logger.calls_closed)
            dispose_engines()
        (p1, c1), (p4, c4) = peaks[1], peaks[4]
        print(f"  peak memory: {p1 / 1e6:.1f} MB after {c1} calls, {p4 / 1e6:.1f} MB after {c4} calls "
              f"(ratio {p4 / p1:.2f})")
    return [
        (f"pipeline ≥ 20,000 events/s (got {rate:,.0f})", rate >= 20000),
        (f"pipeline ≥ 0.5 × bare parse (got {ratio:.2f})", ratio >= 0.5),
        (f"peak memory flat with 4× the finished calls (ratio {p4 / p1:.2f} ≤ 1.3)", p4 / p1 <= 1.3),
    ]


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started
