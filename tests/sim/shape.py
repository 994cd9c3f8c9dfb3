"""Reduce an AMI event stream to its *shape*: what the product relies on, with ids,
channel names and bridge ids replaced by placeholders numbered in order of first
appearance (so `hotline-rig-1796321252.2` and the simulator's own uniqueid for the
same party compare equal, and Linkedid relationships are kept)."""
from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from pathlib import Path

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"

CHANNEL_EVENTS = {
    "Newchannel": (), "Newstate": ("ChannelStateDesc",), "Hangup": ("Cause",), "HangupRequest": ("Cause",),
    "SoftHangupRequest": ("Cause",), "QueueCallerJoin": ("Queue", "Position", "Count"),
    "QueueCallerLeave": ("Queue", "Position", "Count"),
    "QueueCallerAbandon": ("Queue", "Position", "OriginalPosition", "HoldTime"),
    "AgentCalled": ("Queue", "Interface", "MemberName", "DestChannel", "DestLinkedid"),
    "AgentConnect": ("Queue", "Interface", "MemberName", "DestChannel", "DestLinkedid"),
    "AgentComplete": ("Queue", "Interface", "MemberName", "Reason", "DestChannel"),
    "AgentRingNoAnswer": ("Queue", "Interface", "MemberName", "RingTime", "DestChannel"),
    "DialBegin": ("DestChannel", "DialString", "DestLinkedid"), "DialEnd": ("DestChannel", "DialStatus"),
    "DialState": ("DestChannel", "DialStatus"), "BridgeEnter": ("BridgeUniqueid",),
    "BridgeLeave": ("BridgeUniqueid",),
}
ID_RE = re.compile(r"^hotline-rig-\d+\.\d+$")
CHAN_RE = re.compile(r"^(PJSIP/[0-9a-z]+|Local/.+?)-[0-9a-f]{8}(;[12])?$")


def load_capture_events(name: str) -> list[list[tuple[str, str]]]:
    """Events (not responses) received in capture `name`, as ordered pairs."""
    folder = CAPTURES / name
    path = folder / "ami.jsonl"
    opener = open
    if not path.exists():
        path, opener = folder / "ami.jsonl.gz", gzip.open
    out = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("dir") == "in" and rec.get("fields") and rec["fields"][0][0] == "Event":
                out.append([tuple(p) for p in rec["fields"]])
    return out


class Canon:
    def __init__(self):
        self.ids: dict[str, str] = {}
        self.chans: dict[str, str] = {}
        self.bridges: dict[str, str] = {}

    def __call__(self, key: str, value: str) -> str:
        if ID_RE.match(value or ""):
            return self.ids.setdefault(value, f"U{len(self.ids)}")
        m = CHAN_RE.match(value or "")
        if m:
            kind = m.group(1) + (m.group(2) or "")
            return self.chans.setdefault(value, f"{kind}#{len(self.chans)}")
        if key.endswith("BridgeUniqueid"):
            return self.bridges.setdefault(value, f"B{len(self.bridges)}")
        return value


def shape(events) -> dict:
    """events: iterables of (key, value) pairs (capture) or objects with `.pairs` (simulator)."""
    canon = Canon()
    channels: dict[str, list] = defaultdict(list)
    out = {"cdr": [], "linkedid_end": [], "members": [], "member_status": defaultdict(list),
           "devices": defaultdict(list), "originate": [], "bridges": defaultdict(list), "chan_links": {}}
    for ev in events:
        pairs = getattr(ev, "pairs", ev)
        f = dict(pairs)
        name = f["Event"]
        if "Uniqueid" in f and "Linkedid" in f:
            ch = canon("Channel", f["Channel"])
            out["chan_links"][ch] = (canon("Uniqueid", f["Uniqueid"]), canon("Linkedid", f["Linkedid"]))
        if name in CHANNEL_EVENTS or (name == "VarSet" and f.get("Variable") in ("QUEUESTATUS", "DIALSTATUS")):
            keys = CHANNEL_EVENTS.get(name, ("Variable", "Value"))
            owner = f.get("Channel") or f.get("DestChannel")
            if name == "DialBegin" and "Channel" not in f:
                name = "DialBegin(originate)"
            channels[canon("Channel", owner)].append((name,) + tuple(canon(k, f.get(k, "")) for k in keys))
            if name in ("BridgeEnter", "BridgeLeave"):
                out["bridges"][canon("BridgeUniqueid", f["BridgeUniqueid"])].append((name, canon("Channel", f["Channel"])))
        elif name in ("BridgeCreate", "BridgeDestroy"):
            out["bridges"][canon("BridgeUniqueid", f["BridgeUniqueid"])].append((name,))
        elif name == "Cdr":
            out["cdr"].append((canon("Channel", f["Channel"]), canon("DestinationChannel", f["DestinationChannel"]),
                               f["Disposition"], f["LastApplication"], f["LastData"], f["Source"], f["Destination"],
                               f["DestinationContext"], f["CallerID"], canon("UniqueID", f["UniqueID"]),
                               "answered" if f["AnswerTime"] else "unanswered"))
        elif name == "CEL" and f.get("EventName") == "LINKEDID_END":
            out["linkedid_end"].append(canon("LinkedID", f["LinkedID"]))
        elif name in ("QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause"):
            out["members"].append((name, f["Queue"], f["Interface"], f["MemberName"], f["Paused"], f["PausedReason"]))
        elif name == "QueueMemberStatus":
            out["member_status"][f["Interface"]].append(f["Status"])
        elif name == "DeviceStateChange" and f["Device"].startswith("PJSIP/"):
            out["devices"][f["Device"]].append(f["State"])
        elif name == "OriginateResponse":
            out["originate"].append((f["ActionID"], f["Response"], f["Reason"], canon("Channel", f["Channel"]),
                                     canon("Uniqueid", f["Uniqueid"]), f["Context"], f["Exten"]))
    for seq in channels.values():
        # Asterisk itself reports a phone's 180 Ringing either as Newstate then DialState or
        # the other way round (callback-originate cb1 vs cb2): compare them as a pair
        for i in range(len(seq) - 1):
            if seq[i][0] == "DialState" and seq[i + 1] == ("Newstate", "Ringing"):
                seq[i], seq[i + 1] = seq[i + 1], seq[i]
    out["channels"] = dict(channels)
    out["channel_order"] = list(canon.chans.values())
    for k in ("member_status", "devices", "bridges"):
        out[k] = dict(out[k])
    return out


def cdr_durations(events) -> list[tuple[int, int]]:
    rows = []
    for ev in events:
        f = dict(getattr(ev, "pairs", ev))
        if f["Event"] == "Cdr":
            rows.append((int(f["Duration"]), int(f["BillableSeconds"])))
    return rows
