"""The correlator: AMI messages in, one `CallRecord` per call out. Pure: no I/O, no clock.

Calls are keyed by Asterisk's Linkedid, which every channel of an interaction shares (the
caller's leg, each seat rung, Local ``;1/;2`` halves of a transfer). A call closes when the
last of its channels has hung up; nothing else closes it, because Asterisk's event classes
arrive in no causal order (CEL ``LINKEDID_END`` before the last ``Hangup``, ``Cdr`` before or
after its channel's ``Hangup``).

Outcome rules (decided once, when the call closes):

* **answered** means a seat was *bridged* with the citizen's channel (directly, or through a
  Local pair): the IVR answering the channel is not an answer. This is why an abandoned call
  whose CDR says ANSWERED comes out ``abandoned`` here.
* **busy**: no capacity (``QUEUESTATUS`` JOINEMPTY/FULL/JOINUNAVAIL/LEAVEEMPTY/LEAVEUNAVAIL),
  ``Busy()`` before answer (cause 17), or the dialled seat/number was busy.
* **failed**: congestion / unavailable / technical causes.
* **no_answer**: the queue's maximum wait ran out (``QUEUESTATUS=TIMEOUT``; Asterisk reports
  it with ``QueueCallerAbandon`` too, so that event alone proves nothing), a dial timed out,
  or the PBX ended the call with nobody answering.
* **abandoned**: the caller hung up first (a ``HangupRequest`` on the caller's own channel,
  which the PBX's own hang-ups never raise); ``stage`` is ``ringing`` if a seat was ringing
  for them at that moment, ``queue`` if they were waiting in the queue, else ``ivr``. This
  does not need ``QueueCallerAbandon``.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from contactcenter.ami.events import Message
from contactcenter.cdr.records import (
    ABANDONED, ANSWERED, BUSY, CALLBACK, FAILED, INBOUND, NO_ANSWER, OUTBOUND, STAGE_IVR,
    STAGE_QUEUE, STAGE_RINGING, CallRecord, LegRecord,
)

BUSY_QUEUE_STATUSES = {"JOINEMPTY", "FULL", "JOINUNAVAIL", "LEAVEEMPTY", "LEAVEUNAVAIL"}
FAILED_DIAL_STATUSES = {"CONGESTION", "CHANUNAVAIL", "INVALIDARGS", "TORTURE"}
# Q.850 causes that mean the network or the equipment failed, not a person
FAILED_CAUSES = {1, 2, 3, 20, 21, 22, 27, 28, 34, 38, 41, 42, 44, 47, 50, 57, 58, 63, 65, 66, 69, 79, 88, 102, 111, 127}
CAUSE_BUSY = 17
# the channel variables whose VarSet events matter here
USED_VARIABLES = ("QUEUESTATUS", "DIALSTATUS", "CALLBACK_ID")
UNKNOWN_IDS = {"", "<unknown>", "unknown", "anonymous", "<anonymous>"}

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def to_datetime(ts: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=ts)


@dataclass(slots=True)
class _Channel:
    unique_id: str
    name: str
    kind: str  # citizen-side "trunk", "seat", "local" or "other"
    seat: str | None
    created: float
    caller_num: str | None = None
    caller_name: str | None = None
    exten: str | None = None
    context: str | None = None
    up_at: float | None = None
    hangup_requested_at: float | None = None
    soft_hangup_at: float | None = None
    hung_up_at: float | None = None
    cause: int | None = None
    bridges: set = field(default_factory=set)


@dataclass(slots=True)
class _Call:
    call_id: str
    first_seen: float
    started_from_newchannel: bool
    channels: dict = field(default_factory=dict)  # unique_id -> _Channel
    live: set = field(default_factory=set)
    queue: str | None = None
    queued_at: float | None = None
    left_queue_at: float | None = None
    queue_status: str | None = None
    dial_status: str | None = None
    callback_id: str | None = None
    callback_exten: str | None = None
    answered_at: float | None = None
    answered_by: str | None = None
    seats: list = field(default_factory=list)
    connected: bool = False
    talk_end: float | None = None
    ringing: set = field(default_factory=set)  # seat unique ids ringing now
    last_ring_end: float | None = None
    ringing_at_caller_hangup: bool = False
    in_queue_at_caller_hangup: bool = False
    legs: dict = field(default_factory=dict)  # seat unique id -> LegRecord
    close_note: str | None = None


@dataclass
class SeatChange:
    """A change to one seat's membership, pause or device state."""

    seat: str
    at: dt.datetime
    kind: str  # login | logout | pause | unpause | device
    name: str | None = None
    interface: str | None = None
    reason: str | None = None
    device_state: str | None = None


@dataclass
class CdrEvent:
    """Asterisk's own CDR (``Event: Cdr``) with the call it belongs to."""

    call_id: str | None
    fields: dict


@dataclass
class Effects:
    """What one batch of messages produced."""

    closed: list[CallRecord] = field(default_factory=list)
    cdrs: list[CdrEvent] = field(default_factory=list)
    seats: list[SeatChange] = field(default_factory=list)

    def extend(self, other: "Effects") -> None:
        self.closed.extend(other.closed)
        self.cdrs.extend(other.cdrs)
        self.seats.extend(other.seats)


_CHANNEL_RE = re.compile(r"^(?P<tech>[A-Za-z0-9_]+)/(?P<endpoint>[^-;]+?)(?:-[0-9a-fA-F]+)?(?:;[12])?$")
_LOCAL_HALF = re.compile(r"^(Local/.+);([12])$")


class Correlator:
    """Feeds on AMI messages in arrival order; hands out closed calls, CDRs and seat changes.

    `number_reader` turns a raw caller ID into the canonical national number (or None when
    withheld/unusable); `seat_pattern` recognises seat endpoints (`PJSIP/8001-…` → `8001`).
    Memory holds open calls only, plus a bounded map from channel ids to their call so that a
    ``Cdr`` arriving after its call closed still finds it.
    """

    def __init__(self, *, number_reader: Callable[[str | None], str | None] | None = None,
                 seat_pattern: str = r"^\d{3,6}$", short_abandon_s: float = 5.0,
                 ring_grace_s: float = 2.0, recent_channels: int = 20000) -> None:
        self._read_number = number_reader or _digits_only
        self._seat_re = re.compile(seat_pattern)
        self.short_abandon_s = short_abandon_s
        # the queue's retry pause: a caller who hangs up this soon after a seat failed to
        # pick up was still being offered to seats (the queue was between two rings)
        self.ring_grace_s = ring_grace_s
        self.calls: dict[str, _Call] = {}
        self._call_of_channel: OrderedDict[str, str] = OrderedDict()
        self._recent_limit = recent_channels
        self._handlers = {
            "Newchannel": self._on_newchannel,
            "Newstate": self._on_newstate,
            "VarSet": self._on_varset,
            "QueueCallerJoin": self._on_queue_join,
            "QueueCallerLeave": self._on_queue_leave,
            "QueueCallerAbandon": self._on_queue_leave,
            "AgentCalled": self._on_agent_called,
            "DialBegin": self._on_dial_begin,
            "DialEnd": self._on_dial_end,
            "AgentRingNoAnswer": self._on_ring_no_answer,
            "AgentConnect": self._on_agent_connect,
            "BridgeEnter": self._on_bridge_enter,
            "BridgeLeave": self._on_bridge_leave,
            "HangupRequest": self._on_hangup_request,
            "SoftHangupRequest": self._on_soft_hangup,
            "Hangup": self._on_hangup,
            "Cdr": self._on_cdr,
            "QueueMemberAdded": self._on_member_added,
            "QueueMemberRemoved": self._on_member_removed,
            "QueueMemberPause": self._on_member_pause,
            "QueueMemberPaused": self._on_member_pause,
            "DeviceStateChange": self._on_device_state,
            "OriginateResponse": self._on_originate_response,
        }

    # ------------------------------------------------------------------ feeding
    def feed(self, msg: Message, received_at: float, out: Effects | None = None) -> Effects:
        """Process one message; `received_at` (epoch s) is used when it has no Timestamp.
        What it produces is added to `out` (a new `Effects` when None), which is returned:
        a batch passes one `out` for all its messages."""
        if out is None:
            out = Effects()
        name = msg.fields.get("Event")
        handler = self._handlers.get(name) if name else None
        if handler is None:
            return out
        ts = msg.timestamp
        handler(msg, received_at if ts is None else ts, out)
        return out

    def used_events(self) -> frozenset[str]:
        """The events this correlator reads (VarSet only for `USED_VARIABLES`); any other is
        ignored, so the AMI layer need not parse it."""
        return frozenset(self._handlers)

    def open_call_ids(self) -> list[str]:
        return list(self.calls)

    def live_channels(self) -> set[str]:
        return {uid for call in self.calls.values() for uid in call.live}

    def reconcile(self, live_unique_ids: set[str], at: float) -> Effects:
        """After a reconnect: channels Asterisk no longer has ended while we were away.

        `live_unique_ids` comes from CoreShowChannels. Calls left with no live channel are
        closed (with a note), the rest keep going.
        """
        out = Effects()
        for call in list(self.calls.values()):
            citizen = self._citizen(call)
            for uid in list(call.live):
                if uid not in live_unique_ids:
                    chan = call.channels[uid]
                    if chan is citizen and chan.hangup_requested_at is None and chan.soft_hangup_at is None:
                        # nobody saw who hung up; with the queue's long maximum wait a caller who
                        # vanished unanswered most likely gave up (close_note flags the guess)
                        self._caller_hangs_up(call, chan, at)
                    chan.hung_up_at = at
                    call.live.discard(uid)
                    call.ringing.discard(uid)
            if not call.live:
                call.close_note = "ended while the listener was disconnected"
                out.closed.append(self._close(call))
        return out

    def adopt(self, channels: list[Message], at: float) -> None:
        """Take up calls already in progress when the listener (re)connected, from the
        ``CoreShowChannel`` events Asterisk lists: their channels, caller, whether a seat is
        bridged with the caller. Times before `at` are estimated from ``Duration``."""
        touched: set[str] = set()
        for m in channels:
            f = m.fields
            uid, lid, name = f.get("Uniqueid"), f.get("Linkedid"), f.get("Channel")
            if not uid or not lid or not name:
                continue
            created = at - _duration_s(f.get("Duration"))
            call = self.calls.get(lid)
            if call is None:
                call = _Call(call_id=lid, first_seen=created, started_from_newchannel=False)
                self.calls[lid] = call
            if uid in call.channels:
                continue
            chan = self._new_channel(uid, name, created)
            chan.caller_num, chan.caller_name = f.get("CallerIDNum"), f.get("CallerIDName")
            chan.exten, chan.context = f.get("Exten"), f.get("Context")
            if f.get("ChannelState") == "6":
                chan.up_at = created
            if f.get("BridgeId"):
                chan.bridges.add(f["BridgeId"])
            call.channels[uid] = chan
            call.live.add(uid)
            call.first_seen = min(call.first_seen, created)
            self._remember(uid, lid)
            if f.get("Application") == "Queue" and chan.kind == "trunk" and call.queued_at is None:
                call.queued_at = at
                call.queue = (f.get("ApplicationData") or "").split(",")[0] or None
            touched.add(lid)
        for lid in touched:
            self._update_connection(self.calls[lid], at)

    def expire(self, older_than: float, at: float) -> Effects:
        """Close calls whose last sign of life is older than `older_than` (a safety net so no
        call stays open forever when its Hangup was never seen)."""
        out = Effects()
        for call in list(self.calls.values()):
            last = max([call.first_seen] + [c.created for c in call.channels.values()])
            if last < older_than:
                for uid in list(call.live):
                    call.channels[uid].hung_up_at = at
                call.live.clear()
                call.close_note = "closed by the stale-call sweep"
                out.closed.append(self._close(call))
        return out

    # ------------------------------------------------------------------ helpers
    def _call_for(self, msg: Message, ts: float, create: bool = True) -> _Call | None:
        linkedid = msg.fields.get("Linkedid")
        if not linkedid:
            uid = msg.fields.get("Uniqueid")
            linkedid = self._call_of_channel.get(uid) if uid else None
            if not linkedid:
                return None
        call = self.calls.get(linkedid)
        if call is None and create:
            call = _Call(call_id=linkedid, first_seen=ts, started_from_newchannel=False)
            self.calls[linkedid] = call
        return call

    def _channel(self, call: _Call, msg: Message, ts: float, prefix: str = "") -> _Channel | None:
        uid = msg.fields.get(prefix + "Uniqueid")
        name = msg.fields.get(prefix + "Channel")
        if not uid or not name:
            return None
        chan = call.channels.get(uid)
        if chan is None:
            chan = self._new_channel(uid, name, ts)
            call.channels[uid] = chan
            call.live.add(uid)
            self._remember(uid, call.call_id)
        return chan

    def _new_channel(self, uid: str, name: str, ts: float) -> _Channel:
        kind, seat = self._classify(name)
        return _Channel(unique_id=uid, name=name, kind=kind, seat=seat, created=ts)

    def _classify(self, name: str) -> tuple[str, str | None]:
        if name.startswith("Local/"):
            return "local", None
        m = _CHANNEL_RE.match(name)
        if m and self._seat_re.match(m.group("endpoint")):
            return "seat", m.group("endpoint")
        return "trunk", None

    def _remember(self, uid: str, call_id: str) -> None:
        self._call_of_channel[uid] = call_id
        self._call_of_channel.move_to_end(uid)
        while len(self._call_of_channel) > self._recent_limit:
            self._call_of_channel.popitem(last=False)

    @staticmethod
    def _first_channel(call: _Call) -> _Channel | None:
        chan = call.channels.get(call.call_id)
        if chan is not None:
            return chan
        return next(iter(call.channels.values()), None)

    def _direction(self, call: _Call) -> str:
        first = self._first_channel(call)
        if call.callback_id:
            return CALLBACK
        if first is None or first.kind == "trunk":
            return INBOUND
        return OUTBOUND

    def _citizen(self, call: _Call) -> _Channel | None:
        """The citizen's channel: the inbound caller's leg, or the far end of an outbound
        call (the first trunk channel that is not the call's first channel)."""
        first = self._first_channel(call)
        if first is not None and first.kind == "trunk":
            return first
        for chan in call.channels.values():
            if chan.kind == "trunk":
                return chan
        return None

    def _connected_seats(self, call: _Call, citizen: _Channel) -> list[str]:
        """Seats reachable from the citizen's channel through shared bridges and Local pairs."""
        by_bridge: dict[str, list[_Channel]] = {}
        for chan in call.channels.values():
            for b in chan.bridges:
                by_bridge.setdefault(b, []).append(chan)
        seen = {citizen.unique_id}
        frontier = [citizen]
        seats: list[str] = []
        while frontier:
            chan = frontier.pop()
            neighbours = [c for b in chan.bridges for c in by_bridge.get(b, [])]
            if chan.kind == "local":
                other = _local_partner(chan.name)
                neighbours += [c for c in call.channels.values() if c.name == other]
            for c in neighbours:
                if c.unique_id in seen:
                    continue
                seen.add(c.unique_id)
                if c.kind == "seat" and c.seat and c.hung_up_at is None:
                    seats.append(c.seat)
                frontier.append(c)
        return seats

    def _update_connection(self, call: _Call, ts: float) -> None:
        citizen = self._citizen(call)
        if citizen is None:
            return
        seats = self._connected_seats(call, citizen)
        if seats:
            for seat in seats:
                if seat not in call.seats:
                    call.seats.append(seat)
            if call.answered_at is None:
                call.answered_at = ts
                call.answered_by = seats[0]
            call.connected = True
            call.talk_end = None
        elif call.connected:
            call.connected = False
            call.talk_end = ts

    def _leg(self, call: _Call, uid: str | None, name: str | None, ts: float) -> LegRecord | None:
        if not uid or not name:
            return None
        kind, seat = self._classify(name)
        if kind != "seat":
            return None
        leg = call.legs.get(uid)
        if leg is None:
            leg = LegRecord(unique_id=uid, seat=seat, channel=name, ring_started_at=to_datetime(ts))
            call.legs[uid] = leg
        return leg

    # ------------------------------------------------------------------ channel events
    def _on_newchannel(self, msg: Message, ts: float, out: Effects) -> None:
        f = msg.fields
        linkedid = f.get("Linkedid")
        uid = f.get("Uniqueid")
        if not linkedid or not uid:
            return
        call = self.calls.get(linkedid)
        if call is None:
            call = _Call(call_id=linkedid, first_seen=ts, started_from_newchannel=(uid == linkedid))
            self.calls[linkedid] = call
        chan = self._channel(call, msg, ts)
        if chan is None:
            return
        chan.created = ts
        chan.caller_num = f.get("CallerIDNum")
        chan.caller_name = f.get("CallerIDName")
        chan.exten = f.get("Exten")
        chan.context = f.get("Context")
        self._note_chanvars(call, msg)

    def _note_chanvars(self, call: _Call, msg: Message) -> None:
        cb = msg.chanvars.get("", {}).get("CALLBACK_ID")
        if cb:
            call.callback_id = cb

    def _on_newstate(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts)
        if call is None:
            return
        chan = self._channel(call, msg, ts)
        if chan is None:
            return
        if msg.fields.get("ChannelState") == "6" and chan.up_at is None:
            chan.up_at = ts
        num = msg.fields.get("CallerIDNum")
        # an outbound leg learns its number only once it rings (Newchannel says <unknown>)
        if chan.kind == "trunk" and num and num.lower() not in UNKNOWN_IDS and _is_unknown(chan.caller_num):
            chan.caller_num = num
        self._note_chanvars(call, msg)

    def _on_varset(self, msg: Message, ts: float, out: Effects) -> None:
        var = msg.fields.get("Variable")
        if var not in USED_VARIABLES:
            return
        call = self._call_for(msg, ts, create=False)
        if call is None:
            return
        value = msg.fields.get("Value") or ""
        uid = msg.fields.get("Uniqueid")
        if var == "CALLBACK_ID":
            if value:
                call.callback_id = value
            return
        if not value:
            return
        first = self._first_channel(call)
        # only the originating channel's status speaks for the call (not a Local ;2 half)
        if first is not None and uid == first.unique_id:
            if var == "QUEUESTATUS":
                call.queue_status = value
            else:
                call.dial_status = value

    def _on_queue_join(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts)
        if call is None:
            return
        self._channel(call, msg, ts)
        if call.queued_at is None:
            call.queued_at = ts
            call.queue = msg.fields.get("Queue")
        call.left_queue_at = None

    def _on_queue_leave(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts, create=False)
        if call is not None and call.left_queue_at is None:
            call.left_queue_at = ts

    def _on_agent_called(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts)
        if call is None:
            return
        uid = msg.fields.get("DestUniqueid")
        leg = self._leg(call, uid, msg.fields.get("DestChannel"), ts)
        if leg is not None:
            call.ringing.add(uid)

    def _on_dial_begin(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts) if msg.fields.get("Linkedid") else None
        if call is None:
            uid = msg.fields.get("DestUniqueid")
            linkedid = msg.fields.get("DestLinkedid") or self._call_of_channel.get(uid or "")
            call = self.calls.get(linkedid) if linkedid else None
            if call is None:
                return
        uid = msg.fields.get("DestUniqueid")
        leg = self._leg(call, uid, msg.fields.get("DestChannel"), ts)
        if leg is not None:
            call.ringing.add(uid)
        if call.callback_exten is None and msg.fields.get("Context") == "callback":
            call.callback_exten = msg.fields.get("Exten")

    def _on_dial_end(self, msg: Message, ts: float, out: Effects) -> None:
        uid = msg.fields.get("DestUniqueid")
        linkedid = msg.fields.get("Linkedid") or msg.fields.get("DestLinkedid") or self._call_of_channel.get(uid or "")
        call = self.calls.get(linkedid) if linkedid else None
        if call is None:
            return
        status = msg.fields.get("DialStatus") or ""
        leg = call.legs.get(uid or "")
        if uid in call.ringing:
            call.ringing.discard(uid)
            call.last_ring_end = ts
        if leg is None:
            return
        if status == "ANSWER":
            leg.result = "answered"
            leg.answered_at = to_datetime(ts)
        elif leg.result is None or leg.result == "caller_gone":
            leg.result = {"NOANSWER": "no_answer", "BUSY": "busy", "CANCEL": "caller_gone",
                          "CONGESTION": "failed", "CHANUNAVAIL": "failed"}.get(status, leg.result or status.lower())

    def _on_ring_no_answer(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts, create=False)
        if call is None:
            return
        uid = msg.fields.get("DestUniqueid")
        leg = self._leg(call, uid, msg.fields.get("DestChannel"), ts)
        if leg is not None:
            leg.result = "no_answer"
            if uid in call.ringing:
                call.ringing.discard(uid)
                call.last_ring_end = ts

    def _on_agent_connect(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts, create=False)
        if call is None:
            return
        uid = msg.fields.get("DestUniqueid")
        leg = self._leg(call, uid, msg.fields.get("DestChannel"), ts)
        call.ringing.discard(uid)
        if leg is not None:
            leg.result = "answered"
            leg.answered_at = leg.answered_at or to_datetime(ts)
            if call.answered_at is None:
                call.answered_at = ts
                call.answered_by = leg.seat
            if leg.seat not in call.seats:
                call.seats.append(leg.seat)

    def _on_bridge_enter(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts, create=False)
        if call is None:
            return
        chan = self._channel(call, msg, ts)
        bridge = msg.fields.get("BridgeUniqueid")
        if chan is None or not bridge:
            return
        chan.bridges.add(bridge)
        self._update_connection(call, ts)

    def _on_bridge_leave(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts, create=False)
        if call is None:
            return
        chan = call.channels.get(msg.fields.get("Uniqueid") or "")
        bridge = msg.fields.get("BridgeUniqueid")
        if chan is None or not bridge:
            return
        chan.bridges.discard(bridge)
        self._update_connection(call, ts)

    def _on_hangup_request(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts, create=False)
        if call is None:
            return
        chan = call.channels.get(msg.fields.get("Uniqueid") or "")
        if chan is None or chan.hangup_requested_at is not None:
            return
        if self._citizen(call) is chan and chan.soft_hangup_at is None:
            self._caller_hangs_up(call, chan, ts)
        else:
            chan.hangup_requested_at = ts

    def _caller_hangs_up(self, call: _Call, chan: _Channel, ts: float) -> None:
        chan.hangup_requested_at = ts
        call.ringing_at_caller_hangup = bool(call.ringing) or (
            call.last_ring_end is not None and ts - call.last_ring_end <= self.ring_grace_s)
        call.in_queue_at_caller_hangup = call.queued_at is not None and call.left_queue_at is None

    def _on_soft_hangup(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts, create=False)
        if call is None:
            return
        chan = call.channels.get(msg.fields.get("Uniqueid") or "")
        if chan is not None and chan.soft_hangup_at is None:
            chan.soft_hangup_at = ts

    def _on_hangup(self, msg: Message, ts: float, out: Effects) -> None:
        call = self._call_for(msg, ts)
        if call is None:
            return
        chan = self._channel(call, msg, ts)
        if chan is None:
            return
        chan.hung_up_at = ts
        try:
            chan.cause = int(msg.fields.get("Cause") or 0)
        except ValueError:
            chan.cause = None
        chan.bridges.clear()
        call.live.discard(chan.unique_id)
        call.ringing.discard(chan.unique_id)
        leg = call.legs.get(chan.unique_id)
        if leg is not None:
            leg.ended_at = to_datetime(ts)
            if leg.result is None:
                leg.result = "busy" if chan.cause == CAUSE_BUSY else ("failed" if chan.cause in FAILED_CAUSES else "caller_gone")
        if chan.kind in ("seat", "local") or chan is self._citizen(call):
            self._update_connection(call, ts)
        if not call.live:
            out.closed.append(self._close(call))

    def _on_originate_response(self, msg: Message, ts: float, out: Effects) -> None:
        """A failed Originate names the seat (`PJSIP/8013`, no suffix) and the number it was
        for; the seat leg's own events never learn that number, so note it here."""
        exten = msg.fields.get("Exten")
        kind, seat = self._classify(msg.fields.get("Channel") or "")
        if not exten or kind != "seat":
            return
        for call in self.calls.values():
            first = self._first_channel(call)
            if (first is not None and first.seat == seat and call.callback_exten is None
                    and first.kind == "seat" and first.hung_up_at is None):
                call.callback_exten = exten
                return

    # ------------------------------------------------------------------ CDRs and seats
    def _on_cdr(self, msg: Message, ts: float, out: Effects) -> None:
        uid = msg.fields.get("UniqueID") or msg.fields.get("Uniqueid")
        call_id = self._call_of_channel.get(uid or "")
        if call_id is None and uid in self.calls:
            call_id = uid
        fields = {k: v for k, v in msg.fields.items() if k not in ("Event", "Privilege", "Timestamp", "SystemName")}
        out.cdrs.append(CdrEvent(call_id=call_id or uid, fields=fields))

    def _member_seat(self, msg: Message) -> tuple[str | None, str | None]:
        interface = msg.fields.get("Interface") or msg.fields.get("StateInterface") or ""
        m = _CHANNEL_RE.match(interface)
        if m and self._seat_re.match(m.group("endpoint")):
            return m.group("endpoint"), interface
        return None, interface

    def _on_member_added(self, msg: Message, ts: float, out: Effects) -> None:
        seat, interface = self._member_seat(msg)
        if seat:
            out.seats.append(SeatChange(seat=seat, at=to_datetime(ts), kind="login", name=msg.fields.get("MemberName"),
                                        interface=interface))
            if msg.fields.get("Paused") == "1":
                out.seats.append(SeatChange(seat=seat, at=to_datetime(ts), kind="pause",
                                            reason=msg.fields.get("PausedReason") or None))

    def _on_member_removed(self, msg: Message, ts: float, out: Effects) -> None:
        seat, interface = self._member_seat(msg)
        if seat:
            out.seats.append(SeatChange(seat=seat, at=to_datetime(ts), kind="logout", interface=interface))

    def _on_member_pause(self, msg: Message, ts: float, out: Effects) -> None:
        seat, interface = self._member_seat(msg)
        if seat:
            paused = msg.fields.get("Paused") == "1"
            out.seats.append(SeatChange(seat=seat, at=to_datetime(ts), kind="pause" if paused else "unpause",
                                        interface=interface, reason=msg.fields.get("PausedReason") or None))

    def _on_device_state(self, msg: Message, ts: float, out: Effects) -> None:
        device = msg.fields.get("Device") or ""
        m = _CHANNEL_RE.match(device)
        if m and self._seat_re.match(m.group("endpoint")):
            out.seats.append(SeatChange(seat=m.group("endpoint"), at=to_datetime(ts), kind="device",
                                        interface=device, device_state=msg.fields.get("State")))

    # ------------------------------------------------------------------ closing
    def _close(self, call: _Call) -> CallRecord:
        self.calls.pop(call.call_id, None)
        direction = self._direction(call)
        first = self._first_channel(call)
        citizen = self._citizen(call)
        ended = max((c.hung_up_at for c in call.channels.values() if c.hung_up_at is not None),
                    default=call.first_seen)
        started = first.created if first is not None else call.first_seen
        if direction == INBOUND:
            raw = citizen.caller_num if citizen else None
            name = citizen.caller_name if citizen else None
            dialed = first.exten if first else None
        else:
            dialed = call.callback_exten or (citizen.exten if citizen else None)
            raw = (citizen.caller_num if citizen and not _is_unknown(citizen.caller_num) else None) or dialed
            name = None
        outcome, stage = self._outcome(call, direction, citizen, first)
        answered = outcome == ANSWERED
        record = CallRecord(
            call_id=call.call_id,
            direction=direction,
            caller=self._read_number(raw),
            caller_raw=raw,
            caller_name=None if _is_unknown(name) else name,
            dialed=dialed,
            started_at=to_datetime(started),
            ended_at=to_datetime(ended),
            queue=call.queue,
            queued_at=to_datetime(call.queued_at) if call.queued_at is not None else None,
            answered_at=to_datetime(call.answered_at) if answered and call.answered_at is not None else None,
            answered_by=call.answered_by if (answered or direction == CALLBACK) else None,
            seats=list(call.seats),
            outcome=outcome,
            stage=stage,
            hangup_cause=citizen.cause if citizen is not None else (first.cause if first else None),
            callback_id=call.callback_id,
            closed=True,
            close_note=call.close_note or (None if call.started_from_newchannel else "started before the listener connected"),
            legs=sorted(call.legs.values(), key=lambda leg: leg.ring_started_at),
        )
        if direction == CALLBACK and call.answered_by is None:
            seat_chan = first if first is not None and first.kind == "seat" else None
            record.answered_by = seat_chan.seat if seat_chan is not None and seat_chan.up_at is not None else None
        record.wait_s = self._wait(call, direction, answered, ended, started)
        if answered and call.answered_at is not None:
            talk_end = call.talk_end if call.talk_end is not None else ended
            record.talk_s = max(0.0, talk_end - call.answered_at)
        record.missed = direction == INBOUND and not answered
        if outcome == ABANDONED:
            span = record.wait_s if (stage != STAGE_IVR and record.wait_s is not None) else ended - started
            record.short_abandon = span < self.short_abandon_s
        return record

    def _wait(self, call: _Call, direction: str, answered: bool, ended: float, started: float) -> float | None:
        if call.queued_at is not None:
            end = call.answered_at if answered and call.answered_at is not None else (call.left_queue_at or ended)
            return max(0.0, end - call.queued_at)
        if direction == INBOUND and call.legs:
            first_ring = min(leg.ring_started_at for leg in call.legs.values())
            begin = (first_ring - _EPOCH).total_seconds()
            end = call.answered_at if answered and call.answered_at is not None else ended
            return max(0.0, end - begin)
        return None

    def _outcome(self, call: _Call, direction: str, citizen: _Channel | None,
                 first: _Channel | None) -> tuple[str, str | None]:
        if call.seats and call.answered_at is not None and (direction != CALLBACK or citizen is not None):
            return ANSWERED, None
        cause = citizen.cause if citizen is not None else None
        qs, ds = call.queue_status, call.dial_status
        if direction == CALLBACK:
            seat_chan = first if first is not None and first.kind == "seat" else None
            if seat_chan is not None and seat_chan.up_at is None:
                # the seat never took the callback: Originate failed on the agent leg
                if seat_chan.cause == CAUSE_BUSY:
                    return BUSY, None
                if seat_chan.cause in FAILED_CAUSES:
                    return FAILED, None
                return NO_ANSWER, None
            if ds == "BUSY" or cause == CAUSE_BUSY:
                return BUSY, None
            if ds in FAILED_DIAL_STATUSES or (cause in FAILED_CAUSES):
                return FAILED, None
            return NO_ANSWER, None
        if qs in BUSY_QUEUE_STATUSES:
            return BUSY, None
        if citizen is not None and citizen.up_at is None and (cause == CAUSE_BUSY or ds == "BUSY"):
            return BUSY, None
        if ds == "BUSY":
            return BUSY, None
        if ds in FAILED_DIAL_STATUSES or (cause in FAILED_CAUSES and citizen is not None and citizen.hangup_requested_at is None):
            return FAILED, None
        if ds in FAILED_DIAL_STATUSES or cause in FAILED_CAUSES:
            return FAILED, None
        if qs == "TIMEOUT":
            return NO_ANSWER, None
        caller_hung_up = (citizen is not None and citizen.hangup_requested_at is not None
                          and (citizen.soft_hangup_at is None or citizen.hangup_requested_at <= citizen.soft_hangup_at))
        if caller_hung_up:
            if call.ringing_at_caller_hangup:
                return ABANDONED, STAGE_RINGING
            if call.in_queue_at_caller_hangup:
                return ABANDONED, STAGE_QUEUE
            return ABANDONED, STAGE_IVR
        return NO_ANSWER, None


def _duration_s(text: str | None) -> float:
    """``Duration: 00:01:05`` (CoreShowChannel) in seconds; 0 when absent or odd."""
    try:
        h, m, sec = (int(x) for x in (text or "").split(":"))
    except ValueError:
        return 0.0
    return float(h * 3600 + m * 60 + sec)


def _local_partner(name: str) -> str | None:
    m = _LOCAL_HALF.match(name)
    if not m:
        return None
    return f"{m.group(1)};{'2' if m.group(2) == '1' else '1'}"


def _is_unknown(value: str | None) -> bool:
    return value is None or value.strip().lower() in UNKNOWN_IDS


def _digits_only(raw: str | None) -> str | None:
    """Fallback number reader: digits of a caller ID, or None when withheld."""
    if _is_unknown(raw):
        return None
    digits = "".join(ch for ch in raw if ch.isdigit())
    return digits or None
