"""Reading the recorded Asterisk captures (`tests/fixtures/captures/<name>/`).

A capture folder holds `ami.raw` (the exact bytes received on the AMI socket(s)) and
`ami.jsonl` (the same messages, one JSON record each, plus `meta` records marking each TCP
connection), either plain or gzipped (`ami.raw.gz`, …). These helpers hide the difference and
split the bytes into the TCP connections they came from, so a replay can serve each one on
its own connection.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Iterator

BANNER = b"Asterisk Call Manager/"


def capture_file(capture: str | Path, name: str) -> Path:
    """The path of `name` (or `name.gz`) inside a capture folder; FileNotFoundError if neither."""
    folder = Path(capture)
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {name} or {name}.gz in {folder}")


def read_capture_file(capture: str | Path, name: str) -> bytes:
    """The bytes of `name` in a capture folder, gunzipped when stored as `name.gz`."""
    path = capture_file(capture, name)
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def open_capture_bytes(path: str | Path) -> bytes:
    """The raw AMI bytes of a capture: `path` is a capture folder (holding `ami.raw` or
    `ami.raw.gz`) or such a file itself."""
    p = Path(path)
    if p.is_dir():
        return read_capture_file(p, "ami.raw")
    if not p.is_file():
        raise FileNotFoundError(f"capture not found: {p}")
    data = p.read_bytes()
    return gzip.decompress(data) if p.suffix == ".gz" else data


def iter_jsonl(capture: str | Path, only_dir: str | None = None) -> Iterator[dict]:
    """The records of the capture's `ami.jsonl` (or `.gz`), in order; with `only_dir`
    ("in", "out", "meta") just those (cheaply: other lines are not decoded)."""
    marker = f'"dir": "{only_dir}"' if only_dir else None
    for line in read_capture_file(capture, "ami.jsonl").decode("utf-8").split("\n"):
        if not line.strip() or (marker is not None and marker not in line):
            continue
        rec = json.loads(line)
        if only_dir is None or rec.get("dir") == only_dir:
            yield rec


def _folder_of(path: str | Path) -> Path | None:
    p = Path(path)
    return p if p.is_dir() else p.parent


def connection_offsets(raw: bytes, capture: str | Path | None = None) -> list[int]:
    """Byte offsets where each TCP connection starts in `raw`.

    The `connect` meta records of ami.jsonl (their `raw_offset`) are authoritative when the
    capture has them; otherwise every banner line (`Asterisk Call Manager/…` at the start of
    the bytes or right after a line end) starts a connection. Always starts with 0.
    """
    offsets: list[int] = []
    folder = _folder_of(capture) if capture is not None else None
    if folder is not None:
        try:
            for rec in iter_jsonl(folder, only_dir="meta"):
                if rec.get("dir") == "meta" and rec.get("meta") == "connect" and "raw_offset" in rec:
                    offsets.append(int(rec["raw_offset"]))
        except FileNotFoundError:
            offsets = []
    if not offsets:
        if raw.startswith(BANNER):
            offsets.append(0)
        pos = raw.find(b"\n" + BANNER)
        while pos != -1:
            offsets.append(pos + 1)
            pos = raw.find(b"\n" + BANNER, pos + 1)
    offsets = sorted({o for o in offsets if 0 <= o < len(raw)} | {0})
    return offsets


def split_connections(raw: bytes, offsets: list[int]) -> list[bytes]:
    """Cut `raw` at the given connection offsets."""
    bounds = sorted(set(offsets) | {0}) + [len(raw)]
    return [raw[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def connection_segments(capture: str | Path) -> list[bytes]:
    """The capture's raw bytes split into its TCP connections, in order (each normally
    beginning with the banner). `capture` is a folder or an `ami.raw[.gz]` file."""
    raw = open_capture_bytes(capture)
    return split_connections(raw, connection_offsets(raw, capture))
