"""Access to the recorded Asterisk captures copied into tests/fixtures/captures/ (files over
~100 kB are gzipped)."""
from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

from contactcenter.ami.events import Message

CAPTURES = Path(__file__).resolve().parent / "fixtures" / "captures"
SCENARIOS = ["answered", "abandon-in-queue", "busy", "ring-no-answer", "callback-originate", "transfer",
             "cjk-names", "queue-timeout", "load-part1"]


def capture_dir(name: str) -> Path:
    return CAPTURES / name


def read_bytes(name: str, filename: str) -> bytes:
    base = capture_dir(name)
    plain = base / filename
    if plain.exists():
        return plain.read_bytes()
    return gzip.decompress((base / (filename + ".gz")).read_bytes())


def truth(name: str) -> dict:
    return json.loads(read_bytes(name, "truth.json"))


def recorded_messages(name: str) -> list[tuple[float, Message]]:
    """The `in` messages of ami.jsonl (the recorder's own parse), with their receive times."""
    out = []
    for line in read_bytes(name, "ami.jsonl").decode("utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("dir") == "in" and "fields" in rec:
            out.append((rec["t"], Message.from_pairs([tuple(p) for p in rec["fields"]])))
    return out


MASTER_COLUMNS = ["accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
                  "start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield",
                  "peeraccount", "linkedid", "sequence"]


def master_csv(name: str) -> list[dict]:
    text = read_bytes(name, "Master.csv").decode("utf-8")
    return [dict(zip(MASTER_COLUMNS, row)) for row in csv.reader(io.StringIO(text)) if row]


def queue_log(name: str) -> list[list[str]]:
    text = read_bytes(name, "queue_log").decode("utf-8")
    return [line.split("|") for line in text.splitlines() if line]
