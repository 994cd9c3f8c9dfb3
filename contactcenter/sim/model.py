"""A clock-driven model of Asterisk 22 running the hotline dialplan (asterisk-config/).

Pure code: no sockets, no wall clock. Time only moves when `run_until(t)` is called; every
step schedules its follow-ups on an internal agenda and emits AMI events (rendered by
`writer`) in the order and shape the recordings show. The same model serves the random
day (`traffic.py` feeds it callers) and the scripted capture scenarios (tests call
`place_call` / `queue_add` / `originate` directly).

Call flows follow `from-trunk,12345` (capacity check → Busy(5) before answer; Answer;
greeting ≈4.3 s; Queue(hotline,t,,,300); JOINEMPTY → prompt, Busy(3)), `from-trunk,12346`
(25 s maximum wait), `from-trunk,_80XX` (DID: Dial 20 s), and `callback,_X.` (Originate:
seat leg first, then the customer through the trunk).
"""
from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable

from contactcenter.sim import writer as w
from contactcenter.sim.writer import UNKNOWN, AmiEvent, CdrRow, Channel, Member

GREETING_S = 4.33          # hello-world & pls-hold-while-try, Answer() to Queue()
CLOSED_PROMPT_S = 1.8      # all-circuits-busy-now
LATER_PROMPT_S = 2.17      # please-try-call-later
QUEUE_NUMBERS = {"12345": 300, "12346": 25}


@dataclass
class SeatBehaviour:
    """How a seat's phone reacts when it rings.

    answer_after: seconds of ringing before the agent picks up (None: never answers);
    reject: SIP final response instead of ringing (486 busy / 503 unavailable);
    talk_s: the agent ends the call this long after answering (None: waits for the caller);
    answer_prob / reject_prob: for random traffic, chances drawn per ring."""

    answer_after: float | None = 2.0
    reject: int | None = None
    talk_s: float | None = None
    answer_prob: float = 1.0
    reject_prob: float = 0.0
    ring_spread: float = 0.0


@dataclass
class CustomerBehaviour:
    """How a callback customer's phone reacts: 'answer' (after answer_after s, talk talk_s),
    'busy' (486), 'no_answer' (rings until the Dial timeout), 'failed' (503)."""

    outcome: str = "answer"
    answer_after: float = 3.0
    talk_s: float = 12.0


@dataclass
class Seat:
    ext: str
    behaviour: SeatBehaviour = field(default_factory=SeatBehaviour)
    member: Member | None = None
    busy_with: object | None = None      # the call using the phone (ringing or talking)
    wrapup_until: float = 0.0

    @property
    def interface(self) -> str:
        return f"PJSIP/{self.ext}"


@dataclass
class Leg:
    """One ring attempt of a seat for a queue/DID/callback call."""

    seat: Seat
    ch: Channel
    began: float
    answered: bool = False
    token: int = 0


@dataclass
class Call:
    kind: str                       # inbound | did | callback
    caller: Channel
    dialed: str
    number: str | None              # digits, None when withheld
    stage: str = "new"              # ivr | queue | ringing | talking | post | done | did_ringing ...
    patience: float | None = None   # caller hangs up this long after the PBX answered
    caller_talk: float | None = None
    agent_talk: float | None = None
    answered_at: float | None = None
    queue_joined: float | None = None
    orig_position: int = 0
    max_wait: int = 300
    legs: list[Leg] = field(default_factory=list)
    leg: Leg | None = None          # current ringing/connected leg
    retry_at: float = 0.0
    bridge: str | None = None
    cdr_rows: list[CdrRow] = field(default_factory=list)
    row_start: float = 0.0
    lastapp: tuple[str, str] = ("", "")
    connected_at: float | None = None
    seat: Seat | None = None
    outcome: str | None = None      # for reports and tests
    customer: CustomerBehaviour | None = None
    action_id: str = ""
    callback_id: str = ""
    token: int = 0
    extra_channels: list[Channel] = field(default_factory=list)
    wait_patience: float | None = None


class HotlineModel:
    """The simulated PBX. Drive it with `run_until(t)`; collect events with `drain()`."""

    def __init__(self, seats: int = 60, seed: int = 0, start: float = 1796321250.0, capacity: int = 40,
                 member_timeout: float = 15.0, retry: float = 2.0, wrapup: float = 2.0,
                 varied_order: bool = True, keep_events: bool = True):
        self.rng = random.Random(seed)
        self.now = float(start)
        self.booted_at = float(start) - 171.0
        self.reloaded_at = float(start) - 93.0
        self.capacity = capacity
        self.member_timeout = member_timeout
        self.retry = retry
        self.wrapup = wrapup
        self.varied_order = varied_order
        self.queue = "hotline"
        self.seats: dict[str, Seat] = {f"{8001 + i}": Seat(f"{8001 + i}") for i in range(seats)}
        self.members: list[Seat] = []          # login order, as rrmemory walks them
        self.rr_pos = 0
        self.waiting: list[Call] = []          # queue order
        self.calls: dict[str, Call] = {}       # by caller uniqueid, live calls only
        self.customers: dict[str, CustomerBehaviour] = {}
        self.originates: Counter[str] = Counter()
        self.stats = Counter()
        # the queue's own log (queue_log lines), the most recent ones only: memory stays flat
        self.queue_log: deque[str] = deque(maxlen=50000)
        self.completed = 0
        self.abandoned = 0
        self._counter = 1
        self._local_counter = 0
        self._agenda: list[tuple[float, int, Callable, tuple]] = []
        self._seq = itertools.count()
        self._last_ts = 0.0
        self._out: list[AmiEvent] = []
        self.keep_events = keep_events
        self.listeners: list[Callable[[AmiEvent], None]] = []
        self.trunk_use: dict[str, str] = {}
        self.trunk_state = "NOT_INUSE"
        self.finished: list[Call] = []

    # ------------------------------------------------------------------ agenda
    def at(self, when: float, fn: Callable, *args) -> None:
        heapq.heappush(self._agenda, (when, next(self._seq), fn, args))

    def after(self, delay: float, fn: Callable, *args) -> None:
        self.at(self.now + max(0.0, delay), fn, *args)

    def next_due(self) -> float | None:
        return self._agenda[0][0] if self._agenda else None

    def run_until(self, t: float) -> list[AmiEvent]:
        """Run every step due up to `t` (simulated epoch seconds); return the new events."""
        while self._agenda and self._agenda[0][0] <= t:
            when, _, fn, args = heapq.heappop(self._agenda)
            self.now = max(self.now, when)
            fn(*args)
        self.now = max(self.now, t)
        return self.drain()

    def run_all(self, limit: float = 86400.0 * 2) -> list[AmiEvent]:
        """Run until nothing is scheduled (scripted scenarios), at most `limit` seconds."""
        end = self.now + limit
        out = self.drain()
        while self._agenda and self._agenda[0][0] <= end:
            out += self.run_until(self._agenda[0][0])
        return out

    def drain(self) -> list[AmiEvent]:
        out, self._out = self._out, []
        return out

    # ------------------------------------------------------------------ emission
    def _ts(self) -> float:
        ts = max(self.now, self._last_ts + 0.000011)
        self._last_ts = ts
        return ts

    def emit(self, ev: AmiEvent) -> None:
        for listener in self.listeners:
            listener(ev)
        if self.keep_events:
            self._out.append(ev)
        self.stats[ev.name] += 1

    def _e(self, factory: Callable, *args, **kw) -> None:
        self.emit(factory(self._ts(), *args, **kw))

    def _qlog(self, uniqueid: str, agent: str, event: str, *data: object) -> None:
        self.queue_log.append("|".join([str(int(self.now)), uniqueid, self.queue, agent, event,
                                        *(str(d) for d in data)]))

    # ------------------------------------------------------------------ ids
    def _new_channel(self, tech: str, linkedid: str | None = None, **kw) -> Channel:
        n = self._counter
        self._counter += 1
        uid = f"{w.SYSTEM_NAME}-{int(self.now)}.{n}"
        ch = Channel(name=f"{tech}-{n:08x}", uniqueid=uid, linkedid=linkedid or uid, created_at=self.now, **kw)
        return ch

    def restart(self) -> None:
        """Asterisk restarts: every call vanishes without events, members are gone
        (persistentmembers = no), counters start again, uptime is small."""
        self._agenda.clear()
        self.waiting.clear()
        self.calls.clear()
        self.members.clear()
        for seat in self.seats.values():
            seat.member = None
            seat.busy_with = None
            seat.wrapup_until = 0.0
        self.trunk_use.clear()
        self.trunk_state = "NOT_INUSE"
        self._counter = 1
        self._local_counter = 0
        self.booted_at = self.now
        self.reloaded_at = self.now
        self.stats["restarts"] += 1

    @property
    def uptime(self) -> int:
        return int(self.now - self.booted_at)

    # ------------------------------------------------------------------ membership
    def queue_add(self, ext: str, member_name: str | None = None) -> str:
        seat = self.seats.get(ext)
        if seat is None:
            return "Unable to add interface: Not there"
        if seat.member is not None:
            return "Unable to add interface: Already there"
        seat.member = Member(self.queue, member_name or f"Agent {ext}", seat.interface, int(self.now),
                             status=3 if seat.busy_with else 1)
        self.members.append(seat)
        self._e(w.member_event, "QueueMemberAdded", seat.member)
        if sum(1 for s in self.members if s.member and not s.member.paused) == 1:
            self._e(w.device_state, "Queue:hotline_avail", "NOT_INUSE")
        self._qlog("MANAGER", seat.interface, "ADDMEMBER", "")
        self.after(0, self._dispatch)
        return "Added interface to queue"

    def queue_remove(self, ext: str) -> str:
        seat = self.seats.get(ext)
        if seat is None or seat.member is None:
            return "Unable to remove interface: Not there"
        self._e(w.member_event, "QueueMemberRemoved", seat.member)
        self._qlog("MANAGER", seat.interface, "REMOVEMEMBER", "")
        self.members.remove(seat)
        seat.member = None
        return "Removed interface from queue"

    def queue_pause(self, ext: str, paused: bool, reason: str = "") -> str:
        seat = self.seats.get(ext)
        if seat is None or seat.member is None:
            return "Interface not found"
        m = seat.member
        m.paused = paused
        m.paused_reason = reason if paused else ""
        m.last_pause = int(self.now) if paused else m.last_pause
        self._e(w.member_event, "QueueMemberPause", m)
        self._qlog("NONE", m.name, "PAUSE" if paused else "UNPAUSE", reason)
        if not paused:
            self.after(0, self._dispatch)
        return f"Interface {'paused' if paused else 'unpaused'} successfully"

    def _member_status(self, seat: Seat, status: int) -> None:
        if seat.member is not None:
            seat.member.status = status
            self._e(w.member_event, "QueueMemberStatus", seat.member)

    def _available(self, seat: Seat) -> bool:
        return (seat.member is not None and not seat.member.paused and seat.busy_with is None
                and seat.wrapup_until <= self.now)

    # ------------------------------------------------------------------ trunk device
    def _trunk(self, ch: Channel, use: str | None) -> None:
        """Track one trunk channel's use ('ring', 'inuse', 'busy' or None when gone) and
        emit the trunk's aggregate device state when it changes, as Asterisk does."""
        if use is None:
            self.trunk_use.pop(ch.name, None)
        else:
            self.trunk_use[ch.name] = use
        uses = set(self.trunk_use.values())
        if "ring" in uses and "inuse" in uses:
            state = "RINGINUSE"
        elif "ring" in uses:
            state = "RINGING"
        elif "inuse" in uses:
            state = "INUSE"
        elif "busy" in uses:
            state = "BUSY"
        else:
            state = "NOT_INUSE"
        if state != self.trunk_state:
            self.trunk_state = state
            self._e(w.device_state, "PJSIP/trunk", state)

    def _set_state(self, ch: Channel, state: int) -> None:
        ch.state = state
        self._e(w.chan_event, "Newstate", ch)

    def _exten(self, ch: Channel, app: str, data: str = "") -> None:
        ch.priority += 1
        self._e(w.newexten, ch, app, data)

    # ------------------------------------------------------------------ inbound
    def place_call(self, caller: str | None, dialed: str = "12345", name: str | None = None,
                   patience: float | None = None, at: float | None = None, withheld_as: str = UNKNOWN,
                   wait_patience: float | None = None, caller_talk: float | None = None,
                   agent_talk: float | None = None) -> None:
        """A call arrives on the trunk at `at` (default now).

        `caller` None = withheld (`CallerIDNum: <unknown>`, or `withheld_as="anonymous"`).
        `patience`: the caller hangs up this long after the PBX answered, wherever the call
        is then (IVR, queue, ringing, talking) — the captures' `hangup_after_answer_s`.
        `wait_patience`: the caller gives up this long after the PBX answered unless a seat
        answered first; `caller_talk` / `agent_talk`: who ends the conversation, and when."""
        self.at(self.now if at is None else at, self._arrive, caller, dialed, name, patience, withheld_as,
                wait_patience, caller_talk, agent_talk)

    def _arrive(self, caller, dialed, name, patience, withheld_as, wait_patience, caller_talk, agent_talk) -> None:
        num = caller if caller else withheld_as
        ch = self._new_channel("PJSIP/trunk", cid_num=num, cid_name=name or UNKNOWN, context="from-trunk",
                               exten=dialed, state=4)
        call = Call(kind="did" if dialed.startswith("80") else "inbound", caller=ch, dialed=dialed,
                    number=caller, patience=patience, caller_talk=caller_talk, agent_talk=agent_talk,
                    row_start=self.now)
        call.wait_patience = wait_patience
        self.calls[ch.uniqueid] = call
        self.stats["calls"] += 1
        self._e(w.chan_event, "Newchannel", ch)
        self._e(w.varset, ch, "SIPDOMAIN", "127.0.0.1")
        self._e(w.cel, ch, "CHAN_START")
        if call.kind == "did":
            self._e(w.newexten, ch, "NoOp", f"Direct dial to seat {dialed} from {num}")
        else:
            self._e(w.newexten, ch, "NoOp", f"Hotline call from {num}")
        self._exten(ch, "Set", f"__HOTLINE_SESSION={ch.uniqueid}")
        ch.variables["HOTLINE_SESSION"] = ch.uniqueid
        self._e(w.varset, ch, "__HOTLINE_SESSION", ch.uniqueid)
        if call.kind == "did":
            self._did_dial(call)
            return
        if dialed == "12345":
            full = len(self.waiting) >= self.capacity
            self._exten(ch, "GotoIf", f"{1 if full else 0}?full")
            if full:
                self._reject_full(call)
                return
        call.max_wait = QUEUE_NUMBERS.get(dialed, 300)
        self._exten(ch, "Answer")
        self._e(w.cel, ch, "ANSWER", "Answer")
        ch.answered_at = self.now
        call.answered_at = self.now
        self._set_state(ch, 6)
        self._trunk(ch, "inuse")
        call.stage = "ivr"
        call.lastapp = ("Playback", "hello-world&pls-hold-while-try")
        self.after(0.5, self._greeting, call)
        self.after(GREETING_S, self._enter_queue, call)
        if patience is not None:
            self.after(patience, self._caller_hangs_up, call)
        if call.wait_patience is not None:
            self.after(call.wait_patience, self._caller_gives_up, call)

    def _caller_gives_up(self, call: Call) -> None:
        if call.stage in ("ivr", "queue", "ringing", "did_ringing", "post"):
            self._caller_hangs_up(call)

    def _greeting(self, call: Call) -> None:
        if call.stage == "ivr":
            self._exten(call.caller, "Playback", "hello-world&pls-hold-while-try")

    def _reject_full(self, call: Call) -> None:
        ch = call.caller
        self._e(w.newexten, ch, "NoOp", f"Hotline over capacity: {len(self.waiting)} waiting")
        self._exten(ch, "Busy", "5")
        self._set_state(ch, 7)
        self._e(w.hangup_request, ch, 17)
        call.lastapp = ("Busy", "5")
        self._add_row(call, "", "BUSY", answered=False)
        self._trunk(ch, "busy")
        call.outcome = "busy"
        self._finish(call, cause=17, soft=True)

    # ------------------------------------------------------------------ queue
    def _enter_queue(self, call: Call) -> None:
        if call.stage != "ivr":
            return
        ch = call.caller
        ch.priority += 1
        self._e(w.newexten, ch, "Queue", f"hotline,t,,,{call.max_wait}")
        call.lastapp = ("Queue", f"hotline,t,,,{call.max_wait}")
        for var in ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS"):
            self._e(w.varset, ch, var, "")
        usable = [s for s in self.members if s.member and not s.member.paused]
        if not usable:
            self._queue_returns(call, "JOINEMPTY")
            return
        self.waiting.append(call)
        call.stage = "queue"
        call.queue_joined = self.now
        call.orig_position = len(self.waiting)
        if len(self.waiting) == 1:
            self._e(w.device_state, "Queue:hotline", "RINGING")
        self._e(w.chan_event, "QueueCallerJoin", ch, "agent,all",
                [("Queue", self.queue), ("Position", str(len(self.waiting))), ("Count", str(len(self.waiting)))])
        self._e(w.chan_event, "MusicOnHoldStart", ch, extra=[("Class", "default")])
        self._qlog(ch.uniqueid, "NONE", "ENTERQUEUE", "", call.number or "", len(self.waiting))
        call.token += 1
        self.after(call.max_wait, self._queue_timeout, call, call.token)
        self._dispatch()

    def _leave_queue(self, call: Call) -> int:
        pos = self.waiting.index(call) + 1
        self.waiting.remove(call)
        if not self.waiting:
            self._e(w.device_state, "Queue:hotline", "NOT_INUSE")
        return pos

    def _dispatch(self) -> None:
        """rrmemory with autofill: every waiting caller not already ringing a seat (and past
        its retry pause) rings the next free member after the one rung last."""
        for call in list(self.waiting):
            if call.stage != "queue" or call.retry_at > self.now:
                continue
            n = len(self.members)
            if n == 0:
                return
            chosen = None
            for i in range(n):
                idx = (self.rr_pos + i) % n
                if self._available(self.members[idx]):
                    chosen = idx
                    break
            if chosen is None:
                return
            self.rr_pos = chosen + 1
            self._ring_member(call, self.members[chosen])

    def _seat_leg(self, call: Call, seat: Seat, context: str = "from-agent") -> Leg:
        caller = call.caller
        ch = self._new_channel(f"PJSIP/{seat.ext}", linkedid=caller.linkedid, cid_num=seat.ext,
                               cid_name=f"Seat {seat.ext}", context=context, exten="s")
        ch.variables["HOTLINE_SESSION"] = caller.variables.get("HOTLINE_SESSION", "")
        leg = Leg(seat, ch, self.now)
        seat.busy_with = call
        call.legs.append(leg)
        call.leg = leg
        return leg

    def _ring_member(self, call: Call, seat: Seat) -> None:
        caller = call.caller
        call.stage = "ringing"
        leg = self._seat_leg(call, seat)
        ch = leg.ch
        call.row_start = call.row_start if len(call.legs) == 1 else self.now
        self._e(w.chan_event, "Newchannel", ch)
        self._e(w.newexten, ch, "AppQueue", "(Outgoing Line)")
        ch.conn_num, ch.conn_name = caller.cid_num, caller.cid_name
        self._e(w.chan_event, "NewConnectedLine", ch)
        self._e(w.varset, ch, "__HOTLINE_SESSION", ch.variables["HOTLINE_SESSION"])
        self._e(w.newexten, ch, "AppQueue", "(Outgoing Line)")
        self._e(w.varset, ch, "DIALEDPEERNUMBER", seat.ext)
        self._e(w.cel, ch, "CHAN_START")
        ch.exten = caller.exten
        m = seat.member
        self._e(w.pair_event, "AgentCalled", caller, ch,
                [("Queue", self.queue), ("Interface", seat.interface), ("MemberName", m.name)], "agent,all")
        self._e(w.pair_event, "DialBegin", caller, ch, [("DialString", seat.interface)])
        caller.conn_num, caller.conn_name = seat.ext, f"Seat {seat.ext}"
        self._e(w.chan_event, "NewConnectedLine", caller)
        b = seat.behaviour
        leg.token = next(self._seq)
        if b.reject or (b.reject_prob and self.rng.random() < b.reject_prob):
            self.after(0.004, self._member_rejects, call, leg, b.reject or 486)
            return
        self.after(0.005, self._member_ringing, call, leg)
        answer = b.answer_after
        if answer is not None and b.ring_spread:
            answer = max(0.5, answer + self.rng.uniform(-b.ring_spread, b.ring_spread))
        if answer is not None and b.answer_prob < 1.0 and self.rng.random() > b.answer_prob:
            answer = None
        deadline = call.queue_joined + call.max_wait
        ring_end = min(self.now + self.member_timeout, deadline)
        if answer is not None and self.now + answer < ring_end:
            self.after(answer, self._member_answers, call, leg)
        elif self.now + self.member_timeout <= deadline:
            self.after(self.member_timeout, self._ring_no_answer, call, leg)
        # otherwise the queue timeout cuts the ring short

    def _member_ringing(self, call: Call, leg: Leg) -> None:
        if call.leg is not leg or leg.ch.hungup:
            return
        self._set_state(leg.ch, 5)
        self._e(w.pair_event, "DialState", call.caller, leg.ch, [("DialStatus", "RINGING")])
        self._member_status(leg.seat, 3)
        self._e(w.device_state, leg.seat.interface, "BUSY")

    def _end_leg(self, call: Call, leg: Leg, cause: int, status: int = 1) -> None:
        leg.ch.hungup = True
        self._e(w.hangup, leg.ch, cause)
        seat = leg.seat
        seat.busy_with = None
        self._member_status(seat, status)
        self._e(w.device_state, seat.interface, "NOT_INUSE")

    def _ring_no_answer(self, call: Call, leg: Leg, ring_ms: int | None = None) -> None:
        if call.leg is not leg or call.stage != "ringing":
            return
        ring_ms = ring_ms if ring_ms is not None else int(round((self.now - leg.began) * 1000))
        caller = call.caller
        self._e(w.pair_event, "AgentRingNoAnswer", caller, leg.ch,
                [("Queue", self.queue), ("Interface", leg.seat.interface), ("MemberName", leg.seat.member.name
                  if leg.seat.member else f"Agent {leg.seat.ext}"), ("RingTime", str(ring_ms))], "agent,all")
        self._e(w.pair_event, "DialEnd", caller, leg.ch, [("DialStatus", "NOANSWER")])
        self._e(w.pair_event, "DialEnd", caller, leg.ch, [("DialStatus", "CANCEL")])
        self._qlog(caller.uniqueid, leg.seat.member.name if leg.seat.member else f"Agent {leg.seat.ext}",
                   "RINGNOANSWER", ring_ms)
        self._add_row(call, leg.ch.name, "NO ANSWER", answered=True)
        self._end_leg(call, leg, 0)
        call.leg = None
        call.stage = "queue"
        call.retry_at = self.now + self.retry
        self.after(self.retry, self._dispatch)

    def _member_rejects(self, call: Call, leg: Leg, code: int) -> None:
        if call.leg is not leg:
            return
        cause = 17 if code == 486 else 34
        self._e(w.hangup_request, leg.ch, cause)
        self._e(w.pair_event, "DialEnd", call.caller, leg.ch, [("DialStatus", "NOANSWER")])
        self._e(w.pair_event, "AgentRingNoAnswer", call.caller, leg.ch,
                [("Queue", self.queue), ("Interface", leg.seat.interface), ("MemberName", leg.seat.member.name
                  if leg.seat.member else f"Agent {leg.seat.ext}"), ("RingTime", "0")], "agent,all")
        self._add_row(call, leg.ch.name, "NO ANSWER", answered=True)
        leg.ch.hungup = True
        self._e(w.hangup, leg.ch, cause)
        leg.seat.busy_with = None
        call.leg = None
        call.stage = "queue"
        call.retry_at = self.now + self.retry
        self.after(self.retry, self._dispatch)

    def _member_answers(self, call: Call, leg: Leg) -> None:
        if call.leg is not leg or call.stage != "ringing":
            return
        caller, ch, seat = call.caller, leg.ch, leg.seat
        leg.answered = True
        self._e(w.cel, ch, "ANSWER", "AppQueue", "(Outgoing Line)")
        ch.answered_at = self.now
        self._set_state(ch, 6)
        self._e(w.pair_event, "DialEnd", caller, ch, [("DialStatus", "ANSWER")])
        self._e(w.chan_event, "MusicOnHoldStop", caller)
        hold = int(self.now - call.queue_joined)
        ring = int(self.now - leg.began)
        m = seat.member
        for target in (caller, ch):
            self._e(w.varset, target, "MEMBERINTERFACE", seat.interface)
            self._e(w.varset, target, "MEMBERNAME", m.name if m else f"Agent {seat.ext}")
        pos = self._leave_queue(call)
        self._e(w.chan_event, "QueueCallerLeave", caller, "agent,all",
                [("Queue", self.queue), ("Position", str(pos)), ("Count", str(len(self.waiting)))])
        self._e(w.varset, caller, "QUEUEPOSITION", str(pos))
        self._e(w.varset, caller, "QUEUEWAIT", str(hold))
        self._e(w.pair_event, "AgentConnect", caller, ch,
                [("Queue", self.queue), ("Interface", seat.interface),
                 ("MemberName", m.name if m else f"Agent {seat.ext}"), ("HoldTime", str(hold)),
                 ("RingTime", str(ring))], "agent,all")
        self._qlog(caller.uniqueid, m.name if m else f"Agent {seat.ext}", "CONNECT", hold, ch.uniqueid, ring)
        call.stage = "talking"
        call.connected_at = self.now
        call.seat = seat
        if m:
            m.in_call = 1
        self._bridge(call, ch, caller)
        call.token += 1
        talk = seat.behaviour.talk_s if call.agent_talk is None else call.agent_talk
        if talk is not None:
            self.after(talk, self._agent_hangs_up, call, call.token)
        if call.caller_talk is not None:
            self.after(call.caller_talk, self._caller_ends_talk, call, call.token)

    def _caller_ends_talk(self, call: Call, token: int) -> None:
        if call.token == token and call.stage in ("talking", "did_talking"):
            self._caller_hangs_up(call)

    def _bridge(self, call: Call, first: Channel, second: Channel) -> None:
        call.bridge = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self._e(w.bridge_event, "BridgeCreate", call.bridge, 0)
        self._e(w.bridge_event, "BridgeEnter", call.bridge, 1, first)
        self._e(w.bridge_event, "BridgeEnter", call.bridge, 2, second)
        self._e(w.varset, first, "BRIDGEPEER", second.name)
        self._e(w.varset, second, "BRIDGEPEER", first.name)

    def _queue_timeout(self, call: Call, token: int) -> None:
        if call.token != token or call.stage not in ("queue", "ringing"):
            return
        caller = call.caller
        held = int(round(self.now - call.queue_joined))
        leg = call.leg
        if call.stage == "ringing" and leg is not None:
            ring_ms = int(round((self.now - leg.began) * 1000))
            self._e(w.pair_event, "AgentRingNoAnswer", caller, leg.ch,
                    [("Queue", self.queue), ("Interface", leg.seat.interface),
                     ("MemberName", leg.seat.member.name if leg.seat.member else f"Agent {leg.seat.ext}"),
                     ("RingTime", str(ring_ms))], "agent,all")
            self._e(w.pair_event, "DialEnd", caller, leg.ch, [("DialStatus", "NOANSWER")])
            self._e(w.pair_event, "DialEnd", caller, leg.ch, [("DialStatus", "CANCEL")])
            self._qlog(caller.uniqueid, leg.seat.member.name if leg.seat.member else f"Agent {leg.seat.ext}",
                       "RINGNOANSWER", ring_ms)
            self._add_row(call, leg.ch.name, "NO ANSWER", answered=True)
        pos = self.waiting.index(call) + 1
        self._e(w.chan_event, "QueueCallerAbandon", caller, "agent,all",
                [("Queue", self.queue), ("Position", str(pos)), ("OriginalPosition", str(call.orig_position)),
                 ("HoldTime", str(held))])
        if call.stage == "ringing" and leg is not None:
            self._end_leg(call, leg, 0)
            call.leg = None
        self._leave_queue(call)
        self._e(w.chan_event, "QueueCallerLeave", caller, "agent,all",
                [("Queue", self.queue), ("Position", str(pos)), ("Count", str(len(self.waiting)))])
        self._qlog(caller.uniqueid, "NONE", "EXITWITHTIMEOUT", pos, call.orig_position, held)
        self.abandoned += 1
        call.outcome = "no_answer"
        self._queue_returns(call, "TIMEOUT")

    def _queue_returns(self, call: Call, status: str) -> None:
        """Queue() returned without a connection: the dialplan goes on after it."""
        ch = call.caller
        self._e(w.varset, ch, "QUEUESTATUS", status)
        self._exten(ch, "NoOp", f"QUEUESTATUS={status}")
        closed = status in ("JOINEMPTY", "FULL", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL")
        self._exten(ch, "GotoIf", f"{1 if closed else 0}?closed")
        if call.legs or status == "TIMEOUT":
            # a new CDR starts once the queue is left (one row per dial attempt before it)
            if call.legs:
                call.row_start = self.now
        call.stage = "post"
        call.token += 1
        if closed:
            call.outcome = call.outcome or "busy"
            self._exten(ch, "Playback", "all-circuits-busy-now")
            self.after(CLOSED_PROMPT_S, self._closed_busy, call, call.token)
        else:
            self._exten(ch, "Playback", "please-try-call-later")
            self.after(LATER_PROMPT_S, self._pbx_hangup, call, call.token)

    def _closed_busy(self, call: Call, token: int) -> None:
        if call.token != token:
            return
        self._exten(call.caller, "Busy", "3")
        call.lastapp = ("Busy", "3")
        self.after(3.0, self._pbx_hangup, call, token, 0)

    def _pbx_hangup(self, call: Call, token: int, cause: int = 16) -> None:
        if call.token != token or call.stage == "done":
            return
        if call.lastapp[0] != "Busy":
            self._exten(call.caller, "Hangup")
            call.lastapp = ("Hangup", "")
        self._add_row(call, "", "ANSWERED", answered=True)
        self._finish(call, cause=cause, soft=True)

    # ------------------------------------------------------------------ hang-ups
    def _caller_hangs_up(self, call: Call) -> None:
        stage = call.stage
        ch = call.caller
        if stage in ("done", "new"):
            return
        call.token += 1
        if stage == "talking":
            self._talk_ends(call, by="caller")
            return
        if stage == "did_talking":
            self._did_talk_ends(call, by="caller")
            return
        self._e(w.hangup_request, ch, None)
        if stage == "ivr":
            call.outcome = "abandoned_ivr"
            self._add_row(call, "", "ANSWERED", answered=True)
            self._finish(call, cause=0, soft=True)
            return
        if stage == "did_ringing":
            leg = call.leg
            self._e(w.pair_event, "DialEnd", ch, leg.ch, [("DialStatus", "CANCEL")])
            self._end_seat_leg(leg, 0)
            call.outcome = "abandoned_ringing"
            self._add_row(call, leg.ch.name, "NO ANSWER", answered=False)
            self._finish(call, cause=0, soft=True)
            return
        if stage in ("queue", "ringing"):
            held = int(round(self.now - call.queue_joined))
            leg = call.leg
            if stage == "ringing" and leg is not None:
                self._e(w.pair_event, "DialEnd", ch, leg.ch, [("DialStatus", "CANCEL")])
                self._e(w.pair_event, "DialEnd", ch, leg.ch, [("DialStatus", "CANCEL")])
                self._add_row(call, leg.ch.name, "NO ANSWER", answered=True)
                self._end_leg(call, leg, 0)
                call.leg = None
            elif call.legs:
                # waited again after a ring attempt: the row that ended with it stays the last
                pass
            pos = self.waiting.index(call) + 1
            self._e(w.chan_event, "QueueCallerAbandon", ch, "agent,all",
                    [("Queue", self.queue), ("Position", str(pos)), ("OriginalPosition", str(call.orig_position)),
                     ("HoldTime", str(held))])
            self._leave_queue(call)
            self._e(w.chan_event, "QueueCallerLeave", ch, "agent,all",
                    [("Queue", self.queue), ("Position", str(pos)), ("Count", str(len(self.waiting)))])
            self._qlog(ch.uniqueid, "NONE", "ABANDON", pos, call.orig_position, held)
            self.abandoned += 1
            call.outcome = "abandoned_ringing" if stage == "ringing" else "abandoned_queue"
            if not call.legs:
                self._add_row(call, "", "ANSWERED", answered=True)
            self._finish(call, cause=0, soft=True)
            self.after(0, self._dispatch)
            return
        if stage == "post":
            call.outcome = call.outcome or "abandoned_queue"
            self._add_row(call, "", "ANSWERED", answered=True)
            self._finish(call, cause=0, soft=True)

    def _agent_hangs_up(self, call: Call, token: int) -> None:
        if call.token != token:
            return
        if call.stage == "talking":
            self._talk_ends(call, by="agent")
        elif call.stage == "did_talking":
            self._did_talk_ends(call, by="agent")

    def _talk_ends(self, call: Call, by: str) -> None:
        caller, leg = call.caller, call.leg
        seat = leg.seat
        talk = int(round(self.now - call.connected_at))
        hold = int(call.connected_at - call.queue_joined)
        m = seat.member
        name = m.name if m else f"Agent {seat.ext}"
        if by == "caller":
            self._e(w.hangup_request, caller, None)
        else:
            self._e(w.hangup_request, leg.ch, None)
        self._e(w.pair_event, "AgentComplete", caller, leg.ch,
                [("Queue", self.queue), ("Interface", seat.interface), ("MemberName", name),
                 ("HoldTime", str(hold)), ("TalkTime", str(talk)), ("Reason", by)], "agent,all")
        self._qlog(caller.uniqueid, name, "COMPLETECALLER" if by == "caller" else "COMPLETEAGENT", hold, talk,
                   call.orig_position)
        self.completed += 1
        call.outcome = "answered"
        if m:
            m.calls_taken += 1
            m.last_call = int(self.now)
            m.in_call = 0
        if by == "caller":
            self._e(w.bridge_event, "BridgeLeave", call.bridge, 1, caller)
            self._e(w.varset, caller, "ANSWEREDTIME", str(talk))
            self._e(w.soft_hangup_request, caller, 16)
            self._e(w.bridge_event, "BridgeLeave", call.bridge, 0, leg.ch)
            self._e(w.bridge_event, "BridgeDestroy", call.bridge, 0)
        else:
            self._e(w.bridge_event, "BridgeLeave", call.bridge, 1, leg.ch)
            self._e(w.bridge_event, "BridgeLeave", call.bridge, 0, caller)
            self._e(w.bridge_event, "BridgeDestroy", call.bridge, 0)
            self._e(w.varset, caller, "ANSWEREDTIME", str(talk))
            self._e(w.soft_hangup_request, caller, 16)
        self._add_row(call, leg.ch.name, "ANSWERED", answered=True)
        order = self._closing_order()
        seat.wrapup_until = self.now + self.wrapup
        for step in order:
            if step == "hangup_caller":
                caller.hungup = True
                self._e(w.hangup, caller, 16)
            elif step == "hangup_agent":
                leg.ch.hungup = True
                self._e(w.hangup, leg.ch, 16)
            elif step == "cdr":
                self._emit_rows(call)
            elif step == "linkedid_end":
                self._e(w.cel, leg.ch, "LINKEDID_END", "AppQueue")
        self._trunk(caller, None)
        seat.busy_with = None
        self._e(w.device_state, seat.interface, "NOT_INUSE")
        self._member_status(seat, 1)
        self._close(call)
        self.after(self.wrapup, self._dispatch)

    def _closing_order(self) -> list[str]:
        """Asterisk's cross-class order is not causal: Cdr before or after the Hangups,
        CEL LINKEDID_END sometimes before the last Hangup. Vary it like the recordings."""
        variants = [
            ["hangup_caller", "cdr", "hangup_agent", "linkedid_end"],
            ["hangup_caller", "hangup_agent", "linkedid_end", "cdr"],
            ["cdr", "hangup_caller", "hangup_agent", "linkedid_end"],
            ["hangup_agent", "linkedid_end", "cdr", "hangup_caller"],
        ]
        if not self.varied_order:
            return variants[0]
        return self.rng.choice(variants)

    def _add_row(self, call: Call, dst: str, disposition: str, answered: bool) -> None:
        ch = call.caller
        lastapp, lastdata = call.lastapp
        if call.kind == "callback":
            src, dest, dctx = "12345", call.dialed, "callback"
        else:
            src, dest, dctx = (ch.cid_num if call.number else ""), call.dialed, "from-trunk"
        start = call.row_start
        answer = (max(start, ch.answered_at) if ch.answered_at is not None else None) if answered else None
        if disposition == "ANSWERED" and answer is None:
            answer = start
        call.cdr_rows.append(CdrRow(src, dest, dctx, w.clid(ch.cid_name, ch.cid_num), ch.name, dst,
                                    lastapp, lastdata, start, answer, self.now, disposition, ch.uniqueid,
                                    ch.linkedid))
        call.row_start = self.now

    def _emit_rows(self, call: Call) -> None:
        for row in call.cdr_rows:
            if call.kind == "transferred" and row.channel == call.caller.name:
                # after a blind transfer Asterisk rewrites dst/dcontext of the caller's rows
                row.destination, row.dcontext = call.dialed, call.caller.context
            self._e(row.event)
        call.cdr_rows = []

    def _finish(self, call: Call, cause: int, soft: bool) -> None:
        """End the caller's channel (the last one of the call)."""
        ch = call.caller
        if soft:
            self._e(w.soft_hangup_request, ch, 16)
        self._e(w.cel, ch, "HANGUP", extra=f'{{"hangupcause":{cause},"hangupsource":"{ch.name}","dialstatus":""}}')
        if self.varied_order and self.rng.random() < 0.5:
            self._emit_rows(call)
            ch.hungup = True
            self._e(w.hangup, ch, cause)
        else:
            self._emit_rows(call)
            ch.hungup = True
            self._e(w.hangup, ch, cause)
        self._e(w.cel, ch, "LINKEDID_END")
        self._trunk(ch, None)
        self._close(call)

    def _close(self, call: Call) -> None:
        call.stage = "done"
        call.token += 1
        self.calls.pop(call.caller.uniqueid, None)
        self.stats[f"outcome_{call.outcome}"] += 1
        if len(self.finished) < 10000:
            self.finished.append(call)

    # ------------------------------------------------------------------ DID
    def _did_dial(self, call: Call) -> None:
        ch = call.caller
        ext = call.dialed
        self._exten(ch, "Dial", f"PJSIP/{ext},20")
        call.lastapp = ("Dial", f"PJSIP/{ext},20")
        self._e(w.varset, ch, "DIALSTATUS", "")
        seat = self.seats.get(ext)
        if seat is None:
            self._did_failed(call, None, "CHANUNAVAIL", 34)
            return
        call.stage = "did_ringing"
        # whether the phone is already on another call, before this leg claims the seat
        previous = seat.busy_with
        busy = previous is not None and previous is not call
        leg = self._seat_leg(call, seat)
        lch = leg.ch
        self._e(w.chan_event, "Newchannel", lch)
        lch.conn_num, lch.conn_name = ch.cid_num, ch.cid_name
        self._e(w.chan_event, "NewConnectedLine", lch)
        self._e(w.pair_event, "DialBegin", ch, lch, [("DialString", ext)])
        ch.conn_num, ch.conn_name = ext, f"Seat {ext}"
        self._e(w.chan_event, "NewConnectedLine", ch)
        b = seat.behaviour
        reject = b.reject or (486 if busy else None)
        if not reject and b.reject_prob and self.rng.random() < b.reject_prob:
            reject = 486
        if reject:
            if busy:
                seat.busy_with = previous  # still on its other call
            self.after(0.004, self._did_rejected, call, leg, reject)
            return
        seat.busy_with = call
        self.after(0.005, self._did_ringing, call, leg)
        answer = b.answer_after
        if answer is not None and b.answer_prob < 1.0 and self.rng.random() > b.answer_prob:
            answer = None
        if answer is not None and answer < 20:
            self.after(answer, self._did_answer, call, leg)
        else:
            self.after(20.0, self._did_noanswer, call, leg)
        if call.patience is not None:
            self.after(call.patience, self._caller_hangs_up, call)
        if call.wait_patience is not None:
            self.after(call.wait_patience, self._caller_gives_up, call)

    def _did_ringing(self, call: Call, leg: Leg) -> None:
        if call.leg is not leg or call.stage != "did_ringing":
            return
        self._set_state(leg.ch, 5)
        self._e(w.pair_event, "DialState", call.caller, leg.ch, [("DialStatus", "RINGING")])
        self._e(w.device_state, leg.seat.interface, "BUSY")

    def _end_seat_leg(self, leg: Leg, cause: int) -> None:
        leg.ch.hungup = True
        self._e(w.hangup, leg.ch, cause)
        if leg.seat.busy_with is not None:
            leg.seat.busy_with = None
            self._e(w.device_state, leg.seat.interface, "NOT_INUSE")

    def _did_rejected(self, call: Call, leg: Leg, code: int) -> None:
        status, cause = ("BUSY", 17) if code == 486 else ("CONGESTION", 34)
        self._e(w.hangup_request, leg.ch, cause)
        self._e(w.pair_event, "DialEnd", call.caller, leg.ch, [("DialStatus", status)])
        leg.ch.hungup = True
        self._e(w.hangup, leg.ch, cause)
        if leg.seat.busy_with is call:
            leg.seat.busy_with = None
        self._did_failed(call, leg, status, cause)

    def _did_failed(self, call: Call, leg: Leg | None, status: str, cause: int) -> None:
        ch = call.caller
        self._e(w.varset, ch, "DIALSTATUS", status)
        self._add_row(call, leg.ch.name if leg else "", status if status != "CHANUNAVAIL" else "FAILED",
                      answered=False)
        app = "Busy" if status == "BUSY" else "Congestion"
        self._exten(ch, "NoOp", f"DIALSTATUS={status}")
        self._exten(ch, app, "3")
        call.lastapp = (app, "3")
        self._set_state(ch, 7)
        self._trunk(ch, "busy")
        self._e(w.hangup_request, ch, cause)
        call.outcome = "busy" if status == "BUSY" else "failed"
        self._add_row(call, "", status if status != "CHANUNAVAIL" else "FAILED", answered=False)
        self._finish(call, cause=cause, soft=True)

    def _did_answer(self, call: Call, leg: Leg) -> None:
        if call.leg is not leg or call.stage != "did_ringing":
            return
        ch = call.caller
        leg.answered = True
        leg.ch.answered_at = self.now
        self._set_state(leg.ch, 6)
        ch.answered_at = self.now
        call.answered_at = self.now
        self._set_state(ch, 6)
        self._trunk(ch, "inuse")
        self._e(w.varset, ch, "DIALSTATUS", "ANSWER")
        self._e(w.pair_event, "DialEnd", ch, leg.ch, [("DialStatus", "ANSWER")])
        call.stage = "did_talking"
        call.connected_at = self.now
        call.row_start = call.row_start
        self._bridge(call, leg.ch, ch)
        call.token += 1
        talk = leg.seat.behaviour.talk_s if call.agent_talk is None else call.agent_talk
        if talk is not None:
            self.after(talk, self._agent_hangs_up, call, call.token)
        if call.caller_talk is not None:
            self.after(call.caller_talk, self._caller_ends_talk, call, call.token)

    def _did_noanswer(self, call: Call, leg: Leg) -> None:
        if call.leg is not leg or call.stage != "did_ringing":
            return
        ch = call.caller
        self._e(w.pair_event, "DialEnd", ch, leg.ch, [("DialStatus", "NOANSWER")])
        self._e(w.varset, ch, "DIALSTATUS", "NOANSWER")
        self._end_seat_leg(leg, 0)
        self._exten(ch, "NoOp", "DIALSTATUS=NOANSWER")
        self._exten(ch, "Hangup")
        call.outcome = "no_answer"
        self._add_row(call, leg.ch.name, "NO ANSWER", answered=False)
        self._finish(call, cause=16, soft=True)

    def _did_talk_ends(self, call: Call, by: str) -> None:
        ch, leg = call.caller, call.leg
        first, second = (ch, leg.ch) if by == "caller" else (leg.ch, ch)
        self._e(w.hangup_request, first, None if by == "caller" else 16)
        self._e(w.bridge_event, "BridgeLeave", call.bridge, 1, first)
        self._e(w.bridge_event, "BridgeLeave", call.bridge, 0, second)
        self._e(w.varset, ch, "DIALSTATUS", "ANSWER")
        self._e(w.bridge_event, "BridgeDestroy", call.bridge, 0)
        call.outcome = "answered"
        self._add_row(call, leg.ch.name, "ANSWERED", answered=True)
        self._emit_rows(call)
        self._e(w.soft_hangup_request, ch, 16)
        leg.ch.hungup = True
        self._e(w.hangup, leg.ch, 16)
        ch.hungup = True
        self._e(w.hangup, ch, 16)
        self._e(w.cel, ch, "LINKEDID_END")
        self._trunk(ch, None)
        leg.seat.busy_with = None
        leg.seat.wrapup_until = self.now + self.wrapup
        self._e(w.device_state, leg.seat.interface, "NOT_INUSE")
        self._close(call)

    # ------------------------------------------------------------------ originate (callbacks)
    def set_customer(self, number: str, behaviour: CustomerBehaviour) -> None:
        """Script how the phone of `number` reacts to callbacks."""
        self.customers[number] = behaviour

    def customer_for(self, number: str) -> CustomerBehaviour:
        known = self.customers.get(number)
        if known is not None:
            return known
        r = self.rng.random()
        if r < 0.62:
            return CustomerBehaviour("answer", self.rng.uniform(2, 9), self.rng.uniform(30, 240))
        if r < 0.75:
            return CustomerBehaviour("busy")
        if r < 0.95:
            return CustomerBehaviour("no_answer")
        return CustomerBehaviour("failed")

    def originate(self, seat_ext: str, exten: str, context: str, caller_id: tuple[str, str],
                  variables: dict[str, str], action_id: str, timeout_ms: int = 30000) -> None:
        """AMI Originate (Async): ring the seat, then dial `exten` from `context` callback."""
        self.originates[exten] += 1
        self.after(0.002, self._orig_start, seat_ext, exten, context, caller_id, dict(variables), action_id,
                   timeout_ms)

    def _orig_start(self, seat_ext, exten, context, caller_id, variables, action_id, timeout_ms) -> None:
        seat = self.seats.get(seat_ext)
        cid_name, cid_num = caller_id
        if seat is None:
            self._e(w.plain_event, "OriginateResponse", "call,all", [
                ("ActionID", action_id), ("Response", "Failure"), ("Channel", f"PJSIP/{seat_ext}"),
                ("Context", context), ("Exten", exten), ("Reason", "0"), ("Uniqueid", UNKNOWN),
                ("CallerIDNum", cid_num), ("CallerIDName", cid_name)])
            return
        ch = self._new_channel(f"PJSIP/{seat.ext}", cid_num=seat.ext, cid_name=f"Seat {seat.ext}",
                               context="from-agent", exten="s")
        call = Call(kind="callback", caller=ch, dialed=exten, number=exten, action_id=action_id,
                    callback_id=variables.get("CALLBACK_ID", ""), row_start=self.now)
        call.customer = self.customer_for(exten)
        self.calls[ch.uniqueid] = call
        self._e(w.cel, ch, "CHAN_START")
        self._e(w.chan_event, "Newchannel", ch)
        self._e(w.newexten, ch, "AppDial2", "(Outgoing Line)")
        # inherited (__) variables are set first, as Asterisk does
        for name, value in sorted(variables.items(), key=lambda kv: not kv[0].startswith("_")):
            ch.variables[name.lstrip("_")] = value
            self._e(w.varset, ch, name, value)
        ch.cid_num, ch.cid_name = cid_num, cid_name
        self._e(w.chan_event, "NewCallerid", ch, extra=[("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])
        ch.conn_num, ch.conn_name = cid_num, cid_name
        self._e(w.chan_event, "NewConnectedLine", ch)
        self._e(w.pair_event, "DialBegin", None, ch, [("DialString", seat.ext)])
        call.stage = "orig_ringing"
        call.lastapp = ("AppDial2", "(Outgoing Line)")
        call.seat = seat
        leg = Leg(seat, ch, self.now)
        call.leg = leg
        b = seat.behaviour
        if seat.busy_with is not None or b.reject or (b.reject_prob and self.rng.random() < b.reject_prob):
            self.after(0.013, self._orig_seat_busy, call, variables, context, caller_id)
            return
        seat.busy_with = call
        answer = b.answer_after
        self.after(min(0.5, answer / 2) if answer else 0.5, self._orig_seat_ringing, call)
        if answer is not None and b.answer_prob < 1.0 and self.rng.random() > b.answer_prob:
            answer = None
        timeout = timeout_ms / 1000.0
        if answer is not None and answer < timeout:
            self.after(answer, self._orig_seat_answers, call, context, caller_id)
        else:
            self.after(timeout, self._orig_seat_timeout, call, context, caller_id)

    def _orig_failure(self, call: Call, context: str, caller_id: tuple[str, str], reason: int) -> None:
        self._e(w.plain_event, "OriginateResponse", "call,all", [
            ("ActionID", call.action_id), ("Response", "Failure"), ("Channel", f"PJSIP/{call.seat.ext}"),
            ("Context", context), ("Exten", call.dialed), ("Reason", str(reason)), ("Uniqueid", UNKNOWN),
            ("CallerIDNum", caller_id[1]), ("CallerIDName", caller_id[0])])

    def _orig_seat_busy(self, call: Call, variables, context, caller_id) -> None:
        ch = call.caller
        self._e(w.hangup_request, ch, 17)
        self._e(w.pair_event, "DialEnd", None, ch, [("DialStatus", "BUSY")])
        self._orig_failure(call, context, caller_id, 0)
        call.outcome = "seat_busy"
        self._e(w.cel, ch, "LINKEDID_END", "AppDial2", "(Outgoing Line)")
        self._add_orig_row(call, "BUSY")
        self._emit_rows(call)
        ch.hungup = True
        self._e(w.hangup, ch, 17)
        self._close(call)

    def _orig_seat_ringing(self, call: Call) -> None:
        if call.stage != "orig_ringing":
            return
        self._set_state(call.caller, 5)
        self._e(w.device_state, call.seat.interface, "BUSY")
        self._e(w.pair_event, "DialState", None, call.caller, [("DialStatus", "RINGING")])

    def _orig_seat_timeout(self, call: Call, context, caller_id) -> None:
        if call.stage != "orig_ringing":
            return
        ch = call.caller
        self._orig_failure(call, context, caller_id, 3)
        call.outcome = "seat_no_answer"
        ch.hungup = True
        self._e(w.hangup, ch, 19)
        self._add_orig_row(call, "NO ANSWER")
        self._emit_rows(call)
        call.seat.busy_with = None
        self._e(w.device_state, call.seat.interface, "NOT_INUSE")
        self._e(w.cel, ch, "LINKEDID_END", "AppDial2", "(Outgoing Line)")
        self._close(call)

    def _add_orig_row(self, call: Call, disposition: str) -> None:
        ch = call.caller
        call.cdr_rows.append(CdrRow("12345", "s", "from-agent", w.clid(ch.cid_name, ch.cid_num), ch.name, "",
                                    "AppDial2", "(Outgoing Line)", call.row_start, None, self.now, disposition,
                                    ch.uniqueid, ch.linkedid))

    def _orig_seat_answers(self, call: Call, context, caller_id) -> None:
        if call.stage != "orig_ringing":
            return
        ch = call.caller
        ch.answered_at = self.now
        self._set_state(ch, 6)
        self._e(w.pair_event, "DialEnd", None, ch, [("DialStatus", "ANSWER")])
        self._e(w.plain_event, "OriginateResponse", "call,all", [
            ("ActionID", call.action_id), ("Response", "Success"), ("Channel", ch.name), ("Context", context),
            ("Exten", call.dialed), ("Reason", "4"), ("Uniqueid", ch.uniqueid), ("CallerIDNum", caller_id[1]),
            ("CallerIDName", caller_id[0]),
            *[(f"ChanVariable({ch.name})", f"{n}={ch.variables.get(n, '')}") for n in w.CHANNEL_VARS]])
        ch.context, ch.exten, ch.priority = context, call.dialed, 1
        self._e(w.newexten, ch, "NoOp", f"Callback {call.callback_id} to {call.dialed}")
        self._e(w.varset, ch, "DIALSTATUS", "")
        ch.priority = 2
        self._e(w.newexten, ch, "Dial", f"PJSIP/{call.dialed}@trunk,20")
        call.lastapp = ("Dial", f"PJSIP/{call.dialed}@trunk,20")
        call.row_start = call.row_start
        cust = self._new_channel("PJSIP/trunk", linkedid=ch.linkedid, context="from-trunk", exten="s")
        cust.variables["HOTLINE_SESSION"] = ch.variables.get("HOTLINE_SESSION", "")
        call.extra_channels = [cust]
        self._e(w.chan_event, "Newchannel", cust)
        cust.cid_num, cust.cid_name = call.dialed, caller_id[0]
        self._e(w.chan_event, "NewCallerid", cust, extra=[("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])
        cust.conn_num, cust.conn_name = caller_id[1], caller_id[0]
        self._e(w.chan_event, "NewConnectedLine", cust)
        cust.exten = call.dialed
        self._e(w.pair_event, "DialBegin", ch, cust, [("DialString", f"{call.dialed}@trunk")])
        ch.conn_num, ch.conn_name = call.dialed, caller_id[0]
        self._e(w.chan_event, "NewConnectedLine", ch)
        call.stage = "orig_dialing"
        beh = call.customer
        if beh.outcome == "busy":
            self.after(0.007, self._orig_customer_fails, call, "BUSY", 17)
        elif beh.outcome == "failed":
            self.after(0.007, self._orig_customer_fails, call, "CONGESTION", 34)
        else:
            self.after(0.004, self._orig_customer_ringing, call)
            if beh.outcome == "answer" and beh.answer_after < 20:
                self.after(beh.answer_after, self._orig_customer_answers, call)
            else:
                self.after(20.0, self._orig_customer_noanswer, call)

    def _orig_customer_ringing(self, call: Call) -> None:
        if call.stage != "orig_dialing":
            return
        cust = call.extra_channels[0]
        self._e(w.pair_event, "DialState", call.caller, cust, [("DialStatus", "RINGING")])
        self._set_state(cust, 5)
        self._trunk(cust, "ring")

    def _orig_customer_fails(self, call: Call, status: str, cause: int) -> None:
        ch, cust = call.caller, call.extra_channels[0]
        self._e(w.hangup_request, cust, cause)
        self._e(w.pair_event, "DialEnd", ch, cust, [("DialStatus", status)])
        cust.hungup = True
        self._e(w.hangup, cust, cause)
        self._e(w.varset, ch, "DIALSTATUS", status)
        call.outcome = "customer_busy" if status == "BUSY" else "customer_failed"
        self._add_callback_row(call, cust.name, status)
        self._orig_prompt(call, cause)

    def _orig_customer_noanswer(self, call: Call) -> None:
        if call.stage != "orig_dialing":
            return
        ch, cust = call.caller, call.extra_channels[0]
        self._e(w.pair_event, "DialEnd", ch, cust, [("DialStatus", "NOANSWER")])
        self._e(w.varset, ch, "DIALSTATUS", "NOANSWER")
        cust.hungup = True
        self._e(w.hangup, cust, 0)
        self._trunk(cust, None)
        call.outcome = "customer_no_answer"
        self._add_callback_row(call, cust.name, "NO ANSWER")
        self._orig_prompt(call, 16)

    def _add_callback_row(self, call: Call, dst: str, disposition: str) -> None:
        ch = call.caller
        # the row runs from the Originate; "answered" is when the seat picked up
        call.cdr_rows.append(CdrRow("12345", call.dialed, "callback", w.clid(ch.cid_name, ch.cid_num), ch.name,
                                    dst, call.lastapp[0], call.lastapp[1], ch.created_at, ch.answered_at,
                                    self.now, disposition, ch.uniqueid, ch.linkedid))
        call.row_start = self.now

    def _orig_prompt(self, call: Call, cause: int) -> None:
        ch = call.caller
        ch.priority = 3
        self._e(w.newexten, ch, "NoOp", f"Callback DIALSTATUS={call.outcome}")
        self._exten(ch, "GotoIf", "0?done")
        self._exten(ch, "Playback", "please-try-call-later")
        call.stage = "orig_prompt"
        call.token += 1
        self.after(LATER_PROMPT_S, self._orig_prompt_done, call, cause)

    def _orig_prompt_done(self, call: Call, cause: int) -> None:
        ch = call.caller
        self._exten(ch, "Hangup")
        call.lastapp = ("Hangup", "")
        self._e(w.soft_hangup_request, ch, 16)
        r = call.cdr_rows
        r.append(CdrRow("12345", call.dialed, "callback", w.clid(ch.cid_name, ch.cid_num), ch.name, "", "Hangup",
                        "", call.row_start, call.row_start, self.now, "ANSWERED", ch.uniqueid, ch.linkedid))
        self._emit_rows(call)
        self._e(w.cel, ch, "LINKEDID_END", "AppDial2")
        ch.hungup = True
        self._e(w.hangup, ch, cause)
        call.seat.busy_with = None
        call.seat.wrapup_until = self.now + self.wrapup
        self._e(w.device_state, call.seat.interface, "NOT_INUSE")
        self._close(call)

    def _orig_customer_answers(self, call: Call) -> None:
        if call.stage != "orig_dialing":
            return
        ch, cust = call.caller, call.extra_channels[0]
        cust.answered_at = self.now
        self._set_state(cust, 6)
        self._e(w.varset, ch, "DIALSTATUS", "ANSWER")
        self._e(w.pair_event, "DialEnd", ch, cust, [("DialStatus", "ANSWER")])
        call.bridge = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self._e(w.bridge_event, "BridgeCreate", call.bridge, 0)
        self._trunk(cust, "inuse")
        self._e(w.bridge_event, "BridgeEnter", call.bridge, 1, cust)
        self._e(w.bridge_event, "BridgeEnter", call.bridge, 2, ch)
        call.stage = "orig_talking"
        call.connected_at = self.now
        call.outcome = "reached"
        call.token += 1
        self.after(call.customer.talk_s, self._orig_talk_ends, call, call.token)

    def _orig_talk_ends(self, call: Call, token: int) -> None:
        if call.token != token or call.stage != "orig_talking":
            return
        ch, cust = call.caller, call.extra_channels[0]
        self._e(w.hangup_request, ch, 16)
        self._e(w.bridge_event, "BridgeLeave", call.bridge, 1, ch)
        self._e(w.varset, ch, "DIALSTATUS", "ANSWER")
        self._e(w.bridge_event, "BridgeLeave", call.bridge, 0, cust)
        self._e(w.bridge_event, "BridgeDestroy", call.bridge, 0)
        self._e(w.soft_hangup_request, ch, 16)
        cust.hungup = True
        self._e(w.hangup, cust, 16)
        ch_row = CdrRow("12345", call.dialed, "callback", w.clid(ch.cid_name, ch.cid_num), ch.name, cust.name,
                        call.lastapp[0], call.lastapp[1], ch.created_at, ch.answered_at, self.now, "ANSWERED",
                        ch.uniqueid, ch.linkedid)
        self._e(ch_row.event)
        self._trunk(cust, None)
        ch.hungup = True
        self._e(w.hangup, ch, 16)
        call.seat.busy_with = None
        call.seat.wrapup_until = self.now + self.wrapup
        self._e(w.device_state, call.seat.interface, "NOT_INUSE")
        self._e(w.cel, ch, "LINKEDID_END", "AppDial2")
        self._close(call)

    # ------------------------------------------------------------------ transfers
    def find_channel(self, name: str) -> tuple[Call, Leg] | None:
        for call in self.calls.values():
            if call.leg is not None and call.leg.ch.name == name and not call.leg.ch.hungup:
                return call, call.leg
        return None

    def blind_transfer(self, channel: str, exten: str, context: str) -> str | None:
        """AMI BlindTransfer of a seat's channel in a queue call: the caller is dialled to
        `exten` from `context` (from-agent: Dial(PJSIP/exten,20)). Returns an error or None."""
        found = self.find_channel(channel)
        if found is None:
            return "No such channel"
        call, leg = found
        if call.stage != "talking" or exten not in self.seats:
            return "Transfer failed"
        self.after(0.003, self._blind_transfer, call, leg, exten, context)
        return None

    def _blind_transfer(self, call: Call, leg: Leg, exten: str, context: str) -> None:
        caller, agent = call.caller, leg.ch
        self._e(w.chan_event, "Unhold", agent)
        self.emit(w.AmiEvent(self._ts(), w._head("BlindTransfer", "call,all", self._last_ts) + [("Result", "Success")]
                             + agent.block("Transferer") + caller.block("Transferee")
                             + w.bridge_fields(call.bridge, 2) + [("IsExternal", "Yes"), ("Context", context),
                                                                   ("Extension", exten)]))
        self._e(w.bridge_event, "BridgeLeave", call.bridge, 1, caller)
        self._e(w.varset, caller, "DIALSTATUS", "")
        seat = leg.seat
        talk = int(round(self.now - call.connected_at))
        hold = int(call.connected_at - call.queue_joined)
        m = seat.member
        name = m.name if m else f"Agent {seat.ext}"
        self._add_row(call, agent.name, "ANSWERED", answered=True)
        target = self.seats[exten]
        new_leg = self._seat_leg(call, target, context=context)
        self._e(w.chan_event, "Newchannel", new_leg.ch)
        self._e(w.pair_event, "AgentComplete", caller, agent,
                [("Queue", self.queue), ("Interface", seat.interface), ("MemberName", name),
                 ("HoldTime", str(hold)), ("TalkTime", str(talk)), ("Reason", "transfer")], "agent,all")
        self._qlog(caller.uniqueid, name, "BLINDTRANSFER", exten, context, hold, talk, call.orig_position)
        new_leg.ch.conn_num, new_leg.ch.conn_name = caller.cid_num, caller.cid_name
        self._e(w.chan_event, "NewConnectedLine", new_leg.ch)
        self._e(w.bridge_event, "BridgeLeave", call.bridge, 0, agent)
        self._e(w.bridge_event, "BridgeDestroy", call.bridge, 0)
        caller.context, caller.exten, caller.priority = context, exten, 2
        call.dialed, call.lastapp = exten, ("Dial", f"PJSIP/{exten},20")
        self._e(w.pair_event, "DialBegin", caller, new_leg.ch, [("DialString", exten)])
        caller.conn_num, caller.conn_name = exten, f"Seat {exten}"
        self._e(w.chan_event, "NewConnectedLine", caller)
        agent.hungup = True
        self._e(w.hangup, agent, 16)
        seat.busy_with = None
        if m:
            m.calls_taken += 1
            m.last_call = int(self.now)
        self._e(w.device_state, seat.interface, "NOT_INUSE")
        self._member_status(seat, 1)
        call.stage = "did_ringing"
        call.kind = "transferred"
        self.after(0.006, self._did_ringing, call, new_leg)
        b = target.behaviour
        if b.answer_after is not None and b.answer_after < 20:
            self.after(b.answer_after, self._transfer_answer, call, new_leg)
        else:
            self.after(20.0, self._did_noanswer, call, new_leg)

    def _transfer_answer(self, call: Call, leg: Leg) -> None:
        if call.leg is not leg or call.stage != "did_ringing":
            return
        ch = call.caller
        leg.answered = True
        leg.ch.answered_at = self.now
        self._set_state(leg.ch, 6)
        self._e(w.varset, ch, "DIALSTATUS", "ANSWER")
        self._e(w.pair_event, "DialEnd", ch, leg.ch, [("DialStatus", "ANSWER")])
        call.stage = "did_talking"
        call.connected_at = self.now
        self._bridge(call, leg.ch, ch)
        call.token += 1
        talk = leg.seat.behaviour.talk_s
        if talk is not None:
            self.after(talk, self._agent_hangs_up, call, call.token)

    # ------------------------------------------------------------------ AMI Hangup
    def hangup_channel(self, name: str, cause: int = 16) -> bool:
        """AMI `Hangup` of a live channel; False when there is no such channel."""
        for call in list(self.calls.values()):
            for ch in [call.caller, *(leg.ch for leg in call.legs), *call.extra_channels]:
                if ch.name == name and not ch.hungup:
                    self.after(0.001, self._ami_hangup, call, ch, cause)
                    return True
        return False

    def _ami_hangup(self, call: Call, ch: Channel, cause: int) -> None:
        if call.stage == "done" or ch.hungup:
            return
        if call.kind != "callback":
            if ch is call.caller:
                self._caller_hangs_up(call)
            elif call.stage in ("talking", "did_talking"):
                self._agent_hangs_up(call, call.token)
            return
        seat_ch = call.caller
        self._e(w.hangup_request, ch, cause)
        if call.stage == "orig_ringing":
            # the seat leg is torn down before anyone answered: the Originate failed
            self._e(w.pair_event, "DialEnd", None, seat_ch, [("DialStatus", "CANCEL")])
            self._orig_failure(call, "callback", (seat_ch.cid_name, seat_ch.cid_num), 1)
            call.outcome = "cancelled"
            self._add_orig_row(call, "NO ANSWER")
        elif call.stage == "orig_dialing":
            cust = call.extra_channels[0]
            self._e(w.pair_event, "DialEnd", seat_ch, cust, [("DialStatus", "CANCEL")])
            cust.hungup = True
            self._e(w.hangup, cust, 0)
            self._trunk(cust, None)
            call.outcome = "cancelled"
            self._add_callback_row(call, cust.name, "NO ANSWER")
        elif call.stage == "orig_talking":
            self._orig_talk_ends(call, call.token)
            return
        self._e(w.soft_hangup_request, seat_ch, cause)
        self._emit_rows(call)
        seat_ch.hungup = True
        self._e(w.hangup, seat_ch, cause)
        self._e(w.cel, seat_ch, "LINKEDID_END", "AppDial2")
        if call.seat and call.seat.busy_with is call:
            call.seat.busy_with = None
            self._e(w.device_state, call.seat.interface, "NOT_INUSE")
        self._close(call)

    # ------------------------------------------------------------------ reports
    def bridged_channels(self) -> dict[str, str]:
        """Uniqueid -> bridge id of the channels talking now (CoreShowChannel's BridgeId)."""
        out = {}
        for call in self.calls.values():
            if call.bridge and call.leg is not None and call.leg.answered and not call.caller.hungup:
                out[call.caller.uniqueid] = call.bridge
                if not call.leg.ch.hungup:
                    out[call.leg.ch.uniqueid] = call.bridge
        return out

    def core_channels(self) -> list[Channel]:
        """Channels that are up now (for CoreShowChannels / Status)."""
        out = []
        for call in self.calls.values():
            for ch in [call.caller, *(l.ch for l in call.legs), *call.extra_channels]:
                if not ch.hungup and ch not in out:
                    out.append(ch)
        return out
