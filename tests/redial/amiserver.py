"""A small loopback AMI server for the dispatcher tests: real TCP, real AMI framing.

It answers Login, Originate (Async, with `OriginateResponse` events as Asterisk 22 sends them in
the `callback-originate` capture), CoreShowChannels (live channels with their CALLBACK_ID
channel variable), Hangup, Ping and Logoff. Callback outcomes come from a `behaviour` function
(number, seat) -> Plan. Every Originate is counted per number at the server side, with the
greatest number of simultaneous calls to one number, so tests can prove "no extra Originate"
and "never twice at once".
"""
from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from contactcenter.ami.protocol import FrameSplitter, format_action


@dataclass
class Plan:
    """What happens to one Originate: the seat's side, then the caller's."""

    seat: str = "answer"  # answer | no_answer (Reason 3) | busy (Reason 0)
    caller: str = "answer"  # answer | busy | no_answer | failed
    seat_ring_s: float = 0.01
    caller_ring_s: float = 0.01
    talk_s: float = 0.01


@dataclass
class CallbackEnd:
    """A callback call that ended, as the correlator would describe it (tests turn it into a
    CallRecord for the intake)."""

    call_id: str
    callback_id: str
    number: str
    seat: str
    outcome: str  # answered | busy | no_answer | failed
    seat_answered: bool
    hangup_cause: int


@dataclass
class LiveChannel:
    channel: str
    unique_id: str
    callback_id: str
    number: str
    task: asyncio.Task | None = None


@dataclass
class AmiTestServer:
    behaviour: Callable[[str, str], Plan] = lambda number, seat: Plan()
    on_callback_end: Callable[[CallbackEnd], None] | None = None
    # hold each call until released (restart tests): the channel stays live
    hold: bool = False
    originates: Counter = field(default_factory=Counter)
    originate_actions: list = field(default_factory=list)
    max_concurrent_per_number: Counter = field(default_factory=Counter)
    live: dict = field(default_factory=dict)  # unique id -> LiveChannel
    ended: list = field(default_factory=list)
    logins: int = 0

    def __post_init__(self):
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()
        self._released = asyncio.Event()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.drop_connections()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def drop_connections(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def release(self) -> None:
        self.hold = False
        self._released.set()

    async def idle(self, timeout: float = 10) -> None:
        """Wait until no callback call is in progress."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------ wire

    def _broadcast(self, pairs: list[tuple[str, str]]) -> None:
        data = _encode(pairs)
        for writer in list(self._writers):
            if not writer.is_closing():
                writer.write(data)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        splitter = FrameSplitter()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for frame in splitter.feed(data):
                    if frame.is_banner or not frame.pairs:
                        continue
                    self._handle(frame, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _reply(self, writer, pairs) -> None:
        if not writer.is_closing():
            writer.write(_encode(pairs))

    def _handle(self, frame, writer) -> None:
        action = (frame.get("Action") or "").lower()
        aid = frame.get("ActionID") or ""
        if action == "login":
            self.logins += 1
            self._reply(writer, [("Response", "Success"), ("ActionID", aid), ("Message", "Authentication accepted")])
        elif action == "ping":
            self._reply(writer, [("Response", "Success"), ("ActionID", aid), ("Ping", "Pong")])
        elif action == "logoff":
            self._reply(writer, [("Response", "Goodbye"), ("ActionID", aid)])
        elif action == "originate":
            self._originate(frame, writer, aid)
        elif action == "coreshowchannels":
            self._reply(writer, [("Response", "Success"), ("ActionID", aid), ("EventList", "start"),
                                 ("Message", "Channels will follow")])
            for ch in self.live.values():
                self._reply(writer, [("Event", "CoreShowChannel"), ("ActionID", aid), ("Channel", ch.channel),
                                     ("Uniqueid", ch.unique_id), ("Linkedid", ch.unique_id),
                                     ("ChanVariable", f"CALLBACK_ID={ch.callback_id}")])
            self._reply(writer, [("Event", "CoreShowChannelsComplete"), ("ActionID", aid), ("EventList", "Complete"),
                                 ("ListItems", str(len(self.live)))])
        elif action == "hangup":
            name = frame.get("Channel")
            for uid, ch in list(self.live.items()):
                if ch.channel == name:
                    if ch.task is not None:
                        ch.task.cancel()
                    self.live.pop(uid, None)
                    self._reply(writer, [("Response", "Success"), ("ActionID", aid), ("Message", "Channel Hungup")])
                    return
            self._reply(writer, [("Response", "Error"), ("ActionID", aid), ("Message", "No such channel")])
        else:
            self._reply(writer, [("Response", "Error"), ("ActionID", aid), ("Message", "Invalid/unknown command")])

    def _originate(self, frame, writer, aid) -> None:
        number = frame.get("Exten") or ""
        seat = (frame.get("Channel") or "").removeprefix("PJSIP/")
        variables = dict(value.partition("=")[::2] for key, value in frame.pairs if key == "Variable")
        self.originates[number] += 1
        self.originate_actions.append(frame.pairs)
        self._reply(writer, [("Response", "Success"), ("ActionID", aid), ("Message", "Originate successfully queued")])
        n = next(self._ids)
        uid = f"sim-{n}"
        ch = LiveChannel(channel=f"PJSIP/{seat}-{n:08x}", unique_id=uid, callback_id=variables.get("CALLBACK_ID", ""),
                         number=number)
        self.live[uid] = ch
        busy_now = sum(1 for c in self.live.values() if c.number == number)
        self.max_concurrent_per_number[number] = max(self.max_concurrent_per_number[number], busy_now)
        task = asyncio.get_running_loop().create_task(self._run_call(ch, seat, aid, frame))
        ch.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_call(self, ch: LiveChannel, seat: str, aid: str, frame) -> None:
        plan = self.behaviour(ch.number, seat)
        common = [("Context", frame.get("Context") or ""), ("Exten", ch.number)]
        try:
            await asyncio.sleep(plan.seat_ring_s)
            if self.hold:
                await self._released.wait()
            if plan.seat != "answer":
                reason = "3" if plan.seat == "no_answer" else "0"
                self.live.pop(ch.unique_id, None)
                self._broadcast([("Event", "OriginateResponse"), ("ActionID", aid), ("Response", "Failure"),
                                 ("Channel", f"PJSIP/{seat}"), *common, ("Reason", reason), ("Uniqueid", "<unknown>"),
                                 ("CallerIDNum", "12345"), ("CallerIDName", "Hotline Callback")])
                self._end(ch, seat, "busy" if plan.seat == "busy" else "no_answer", False, 17 if plan.seat == "busy" else 0)
                return
            self._broadcast([("Event", "OriginateResponse"), ("ActionID", aid), ("Response", "Success"),
                             ("Channel", ch.channel), *common, ("Reason", "4"), ("Uniqueid", ch.unique_id),
                             ("CallerIDNum", "12345"), ("CallerIDName", "Hotline Callback"),
                             (f"ChanVariable({ch.channel})", f"CALLBACK_ID={ch.callback_id}")])
            await asyncio.sleep(plan.caller_ring_s)
            if plan.caller == "answer":
                await asyncio.sleep(plan.talk_s)
                outcome, cause = "answered", 16
            else:
                outcome, cause = {"busy": ("busy", 17), "no_answer": ("no_answer", 19), "failed": ("failed", 34)}[plan.caller]
            self.live.pop(ch.unique_id, None)
            self._end(ch, seat, outcome, True, cause)
        except asyncio.CancelledError:
            self.live.pop(ch.unique_id, None)
            raise

    def _end(self, ch: LiveChannel, seat: str, outcome: str, seat_answered: bool, cause: int) -> None:
        end = CallbackEnd(call_id=ch.unique_id, callback_id=ch.callback_id, number=ch.number, seat=seat,
                          outcome=outcome, seat_answered=seat_answered, hangup_cause=cause)
        self.ended.append(end)
        if self.on_callback_end is not None:
            self.on_callback_end(end)


def _encode(pairs: list[tuple[str, str]]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n").encode()


__all__ = ["AmiTestServer", "Plan", "CallbackEnd", "format_action"]
