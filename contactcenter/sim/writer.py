"""Render simulator events the way Asterisk 22 writes them on the AMI socket.

Pure code: no sockets, no clocks. Every function takes the event time (epoch seconds) and
returns an `AmiEvent` whose `pairs` are the header lines in Asterisk's order (see the
recordings in tests/fixtures/captures/). `Channel` is the snapshot Asterisk prints as the
"channel block" (Channel … Linkedid, then one `ChanVariable` line per manager.conf
`channelvars` entry); prefixed blocks (`Dest…`, `Transferer…`) use the same order.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

SYSTEM_NAME = "hotline-rig"
CHANNEL_VARS = ("HOTLINE_SESSION", "CALLBACK_ID")

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
CAUSE_TXT = {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "User alerting, no answer",
             21: "Call Rejected", 34: "Circuit/channel congestion"}
UNKNOWN = "<unknown>"


@dataclass(slots=True)
class AmiEvent:
    """One AMI message: `pairs` in wire order, `ts` the simulated time it happened."""

    ts: float
    pairs: list[tuple[str, str]]

    @property
    def name(self) -> str:
        return self.pairs[0][1]

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.pairs:
            if k == key:
                return v
        return default

    def encode(self) -> bytes:
        return "".join(f"{k}: {v}\r\n" for k, v in self.pairs).encode("utf-8") + b"\r\n"


@dataclass(slots=True)
class Channel:
    """A channel as the AMI channel block shows it."""

    name: str
    uniqueid: str
    linkedid: str
    cid_num: str = UNKNOWN
    cid_name: str = UNKNOWN
    conn_num: str = UNKNOWN
    conn_name: str = UNKNOWN
    context: str = "from-trunk"
    exten: str = "s"
    priority: int = 1
    state: int = 0
    variables: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    answered_at: float | None = None
    hungup: bool = False

    def block(self, prefix: str = "") -> list[tuple[str, str]]:
        p = prefix
        out = [
            (f"{p}Channel", self.name),
            (f"{p}ChannelState", str(self.state)),
            (f"{p}ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (f"{p}CallerIDNum", self.cid_num),
            (f"{p}CallerIDName", self.cid_name),
            (f"{p}ConnectedLineNum", self.conn_num),
            (f"{p}ConnectedLineName", self.conn_name),
            (f"{p}Language", "en"),
            (f"{p}AccountCode", ""),
            (f"{p}Context", self.context),
            (f"{p}Exten", self.exten),
            (f"{p}Priority", str(self.priority)),
            (f"{p}Uniqueid", self.uniqueid),
            (f"{p}Linkedid", self.linkedid),
        ]
        out.extend((f"{p}ChanVariable", f"{name}={self.variables.get(name, '')}") for name in CHANNEL_VARS)
        return out


def _head(name: str, privilege: str, ts: float) -> list[tuple[str, str]]:
    return [("Event", name), ("Privilege", privilege), ("Timestamp", f"{ts:.6f}"), ("SystemName", SYSTEM_NAME)]


def chan_event(ts: float, name: str, ch: Channel, privilege: str = "call,all",
               extra: list[tuple[str, str]] | None = None) -> AmiEvent:
    """Events made of a header, the channel block and some trailing fields."""
    return AmiEvent(ts, _head(name, privilege, ts) + ch.block() + (extra or []))


def pair_event(ts: float, name: str, ch: Channel | None, dest: Channel, extra: list[tuple[str, str]],
               privilege: str = "call,all") -> AmiEvent:
    """Events about a channel and its peer (Dial*, Agent*): block, Dest block, fields."""
    pairs = _head(name, privilege, ts)
    if ch is not None:
        pairs += ch.block()
    pairs += dest.block("Dest")
    return AmiEvent(ts, pairs + extra)


def varset(ts: float, ch: Channel, variable: str, value: str) -> AmiEvent:
    return chan_event(ts, "VarSet", ch, "dialplan,all", [("Variable", variable), ("Value", value)])


def newexten(ts: float, ch: Channel, app: str, data: str) -> AmiEvent:
    return chan_event(ts, "Newexten", ch, "dialplan,all",
                      [("Extension", ch.exten), ("Application", app), ("AppData", data)])


def hangup(ts: float, ch: Channel, cause: int) -> AmiEvent:
    return chan_event(ts, "Hangup", ch, extra=[("Cause", str(cause)), ("Cause-txt", CAUSE_TXT.get(cause, "Unknown"))])


def hangup_request(ts: float, ch: Channel, cause: int | None) -> AmiEvent:
    return chan_event(ts, "HangupRequest", ch, extra=[] if cause is None else [("Cause", str(cause))])


def soft_hangup_request(ts: float, ch: Channel, cause: int = 16) -> AmiEvent:
    return chan_event(ts, "SoftHangupRequest", ch, extra=[("Cause", str(cause))])


def device_state(ts: float, device: str, state: str) -> AmiEvent:
    return AmiEvent(ts, _head("DeviceStateChange", "call,all", ts) + [("Device", device), ("State", state)])


def cel(ts: float, ch: Channel, event_name: str, app: str = "", app_data: str = "", extra: str = "",
        peer: str = "") -> AmiEvent:
    """`Event: CEL` (cel_manager): names and times as the rig's cel.conf writes them."""
    ani = ch.cid_num if event_name != "CHAN_START" and ch.context == "from-trunk" else ""
    pairs = _head("CEL", "call,all", ts) + [
        ("EventName", event_name), ("AccountCode", ""),
        ("CallerIDnum", ch.cid_num if ch.cid_num != UNKNOWN else ""),
        ("CallerIDname", ch.cid_name if ch.cid_name != UNKNOWN else ""),
        ("CallerIDani", ani), ("CallerIDrdnis", ""), ("CallerIDdnid", ch.exten if ani else ""),
        ("Exten", ch.exten), ("Context", ch.context), ("Channel", ch.name),
        ("Application", app), ("AppData", app_data), ("EventTime", cdr_time(ts)),
        ("AMAFlags", "DOCUMENTATION"), ("UniqueID", ch.uniqueid), ("LinkedID", ch.linkedid),
        ("Userfield", ""), ("Peer", peer), ("PeerAccount", ""), ("Extra", extra),
    ]
    return AmiEvent(ts, pairs)


def cdr_time(ts: float | None) -> str:
    """cdr_csv / CEL local time (the rig runs in UTC)."""
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


@dataclass(slots=True)
class CdrRow:
    """One CDR as `Event: Cdr` (cdr_manager) carries it."""

    source: str
    destination: str
    dcontext: str
    clid: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    start: float
    answer: float | None
    end: float
    disposition: str
    uniqueid: str
    linkedid: str

    def event(self, ts: float) -> AmiEvent:
        duration = int(self.end - self.start)
        billsec = int(self.end - self.answer) if self.answer is not None else 0
        return AmiEvent(ts, _head("Cdr", "cdr,all", ts) + [
            ("AccountCode", ""), ("Source", self.source), ("Destination", self.destination),
            ("DestinationContext", self.dcontext), ("CallerID", self.clid), ("Channel", self.channel),
            ("DestinationChannel", self.dstchannel), ("LastApplication", self.lastapp),
            ("LastData", self.lastdata), ("StartTime", cdr_time(self.start)),
            ("AnswerTime", cdr_time(self.answer)), ("EndTime", cdr_time(self.end)),
            ("Duration", str(duration)), ("BillableSeconds", str(billsec)),
            ("Disposition", self.disposition), ("AMAFlags", "DOCUMENTATION"),
            ("UniqueID", self.uniqueid), ("UserField", ""),
        ])


def clid(name: str, num: str) -> str:
    shown = "" if name in (UNKNOWN, "") else name
    return f'"{shown}" <{num}>'


@dataclass(slots=True)
class Member:
    """A queue member as the QueueMember* events print it."""

    queue: str
    name: str
    interface: str
    login_time: int
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    in_call: int = 0
    status: int = 1
    paused: bool = False
    paused_reason: str = ""

    def fields(self) -> list[tuple[str, str]]:
        return [
            ("Queue", self.queue), ("MemberName", self.name), ("Interface", self.interface),
            ("StateInterface", self.interface), ("Membership", "dynamic"), ("Penalty", "0"),
            ("CallsTaken", str(self.calls_taken)), ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)), ("LoginTime", str(self.login_time)),
            ("InCall", str(self.in_call)), ("Status", str(self.status)), ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason), ("Ringinuse", "0"), ("Wrapuptime", "0"),
        ]


def member_event(ts: float, name: str, member: Member) -> AmiEvent:
    return AmiEvent(ts, _head(name, "agent,all", ts) + member.fields())


def bridge_fields(bridge_id: str, count: int, prefix: str = "") -> list[tuple[str, str]]:
    p = prefix
    return [(f"{p}BridgeUniqueid", bridge_id), (f"{p}BridgeType", "basic"),
            (f"{p}BridgeTechnology", "simple_bridge"), (f"{p}BridgeCreator", UNKNOWN),
            (f"{p}BridgeName", UNKNOWN), (f"{p}BridgeNumChannels", str(count)),
            (f"{p}BridgeVideoSourceMode", "none")]


def bridge_event(ts: float, name: str, bridge_id: str, count: int, ch: Channel | None = None) -> AmiEvent:
    pairs = _head(name, "call,all", ts) + bridge_fields(bridge_id, count)
    if ch is not None:
        pairs += ch.block()
    return AmiEvent(ts, pairs)


def plain_event(ts: float, name: str, privilege: str, fields: list[tuple[str, str]]) -> AmiEvent:
    return AmiEvent(ts, _head(name, privilege, ts) + fields)


def fully_booted(uptime: int, last_reload: int) -> list[tuple[str, str]]:
    """Sent right after a successful login; the only event without Timestamp/SystemName."""
    return [("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", str(uptime)),
            ("LastReload", str(last_reload)), ("Status", "Fully Booted")]
