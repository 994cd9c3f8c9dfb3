"""Replaying a recorded AMI capture over a real loopback TCP connection.

`ReplayServer` is an AMI server on 127.0.0.1 (port 0) that plays back the recorded bytes of a
capture, one recorded TCP connection ("segment") per client connection:

1. greet with the segment's banner, wait for the client's `Login`, answer it with the
   recorded login response (its ActionID replaced by the client's);
2. stream the rest of the segment as recorded — optionally in `chunk_size`-byte pieces that
   cut through frames and multi-byte names, optionally paced by the events' `Timestamp:`
   divided by `speed`;
3. close the connection at the end of the segment; the client reconnects and gets the next
   segment; after the last one the server reports `finished` and refuses further clients.

Actions the client sends while streaming are answered between recorded frames (never inside
one): `Ping` → Pong, `Logoff` → Goodbye, `CoreShowChannels` / `Status` → the channels alive at
that point of the recording (Newchannel seen, Hangup not yet), `QueueStatus` → an empty list,
anything else → `Response: Error` ("not available in a replay"). Responses in the recording
to the recorder's own actions (QueueAdd, Originate, …) are part of the stream and are served
as recorded.

`drop_at=<offset>` (a byte offset in the whole capture) closes the connection abruptly when
the stream reaches that byte, possibly in the middle of a frame. The client discards the
partial frame it was holding, so when it reconnects the stream continues from the start of
the frame the drop cut (exactly at `drop_at` when that is a frame boundary): every recorded
message arrives complete exactly once.
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from contactcenter.ami.capture import connection_segments
from contactcenter.ami.protocol import _FRAME_END, BANNER_PREFIX, Frame, FrameSplitter, format_action, parse_frame

log = logging.getLogger(__name__)

_ACTIONID_LINE = re.compile(rb"^ActionID:[^\r\n]*", re.M)
_TIMESTAMP = re.compile(rb"\nTimestamp: ?([0-9]+(?:\.[0-9]*)?)\r?\n")
# channel fields copied from the latest event of a channel into CoreShowChannel / Status
_CHANNEL_FIELDS = ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
                   "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context",
                   "Exten", "Priority", "Uniqueid", "Linkedid")


@dataclass
class _Segment:
    banner: bytes
    login_response: bytes | None
    body: bytes
    offset: int  # where the body starts in the whole capture
    segment_start: int = 0  # where the segment (its banner) starts in the whole capture
    # each recorded frame of the body: start and end offsets within body
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    def frame(self, i: int) -> Frame:
        return parse_frame(self.body[self.starts[i]:self.ends[i]])

    def timestamp(self, i: int) -> float | None:
        m = _TIMESTAMP.search(self.body, self.starts[i], self.ends[i])
        return float(m.group(1)) if m else None


def _prepare(segment: bytes, offset: int) -> _Segment:
    """Find the banner, the login response and the frame boundaries (bytes only: frames are
    parsed lazily, when an action needs the recording's state)."""
    pos = 0
    banner = b""
    if segment.startswith(BANNER_PREFIX):
        pos = segment.find(b"\n") + 1 or len(segment)
        banner = segment[:pos]
    login = None
    m = _FRAME_END.search(segment, pos)
    if m is not None and segment.startswith(b"Response:", pos):
        login = segment[pos:m.end()]
        pos = m.end()
    seg = _Segment(banner=banner, login_response=login, body=segment[pos:], offset=offset + pos,
                   segment_start=offset)
    start = 0
    for m in _FRAME_END.finditer(seg.body):
        seg.starts.append(start)
        seg.ends.append(m.end())
        start = m.end()
    if start < len(seg.body):
        seg.starts.append(start)
        seg.ends.append(len(seg.body))
    return seg


class _ChannelTracker:
    """Which channels are alive at the current point of the recording."""

    def __init__(self) -> None:
        self.channels: dict[str, dict[str, str]] = {}
        self.now: float | None = None
        self.born: dict[str, float] = {}

    def update(self, f: Frame) -> None:
        fields = f.fields
        ts = f.timestamp
        if ts is not None:
            self.now = ts
        event = fields.get("Event")
        uid = fields.get("Uniqueid")
        if event is None or uid is None:
            return
        if event == "Hangup":
            self.channels.pop(uid, None)
            self.born.pop(uid, None)
            return
        if event == "Newchannel":
            self.channels[uid] = {}
            if ts is not None:
                self.born[uid] = ts
        snap = self.channels.get(uid)
        if snap is not None and "Channel" in fields:
            for key in _CHANNEL_FIELDS:
                if key in fields:
                    snap[key] = fields[key]
            if event == "Newexten":
                snap["Application"] = fields.get("Application", "")
                snap["ApplicationData"] = fields.get("AppData", "")
            elif event == "BridgeEnter":
                snap["BridgeId"] = fields.get("BridgeUniqueid", "")
            elif event == "BridgeLeave":
                snap["BridgeId"] = ""

    def listing(self, event: str, action_id: str) -> list[dict]:
        out = []
        for uid, snap in self.channels.items():
            item: dict[str, Any] = {"Event": event, "ActionID": action_id}
            item.update(snap)
            if self.now is not None and uid in self.born:
                secs = int(self.now - self.born[uid])
                item["Duration"] = f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
            out.append(item)
        return out


class ReplayServer:
    """Loopback AMI server replaying capture segments (see the module docstring).

    `segments`: the recorded TCP connections' bytes (`connection_segments(capture)`).
    `chunk_size`: write the stream in pieces of this many bytes (None: large blocks).
    `speed`: "max" or None (as fast as the client reads) or a factor applied to the recorded
    `Timestamp:` spacing (1.0 = real time, 10 = ten times faster).
    `drop_at`: byte offset in the whole capture at which to drop the connection once.
    """

    def __init__(self, segments: list[bytes], chunk_size: int | None = None, speed: str | float | None = "max",
                 drop_at: int | None = None, host: str = "127.0.0.1") -> None:
        if speed is None:
            speed = "max"
        if chunk_size is not None and chunk_size < 1:
            raise ValueError("chunk_size must be at least 1 byte")
        if speed != "max" and not (isinstance(speed, (int, float)) and speed > 0):
            raise ValueError("speed must be 'max' or a positive number")
        self.host = host
        self.chunk_size = chunk_size
        self.speed = speed
        self.drop_at = drop_at
        offsets = []
        total = 0
        for seg in segments:
            offsets.append(total)
            total += len(seg)
        self.total_bytes = total
        self._segments = [_prepare(seg, off) for seg, off in zip(segments, offsets)]
        self._seg_index = 0
        self._frame_index = 0  # where the current segment's body resumes
        self._tracker = _ChannelTracker()
        self._tracked = (0, 0)  # (segment, frame) up to which the tracker has seen the recording
        self._streamed = (0, 0)  # (segment, frame) up to which frames were fully written
        self._server: asyncio.base_events.Server | None = None
        self.port = 0
        self.connections = 0  # client connections accepted
        self.drops = 0
        self.bytes_streamed = 0
        self.writes = 0  # stream pieces written (each its own TCP segment when chunk_size is set)
        self.final_connection = 0  # the client connection that got the end of the last segment
        self.finished = asyncio.Event()

    @classmethod
    def from_capture(cls, capture: str | Path, **kwargs: Any) -> "ReplayServer":
        """A server for a capture folder or `ami.raw[.gz]` file."""
        return cls(connection_segments(capture), **kwargs)

    async def start(self) -> int:
        """Listen on an ephemeral loopback port; returns it."""
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        if not self._segments:
            self.finished.set()
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> "ReplayServer":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # ---------------------------------------------------------------- one client connection
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._seg_index >= len(self._segments):
            writer.transport.abort()
            return
        seg = self._segments[self._seg_index]
        answers: list[tuple[str, str, str]] = []
        wake = asyncio.Event()
        login_id: asyncio.Future = asyncio.get_running_loop().create_future()
        state = {"logoff": False}
        reader_task = asyncio.create_task(self._read_actions(reader, answers, wake, login_id, state))
        try:
            writer.write(seg.banner)
            await writer.drain()
            action_id = await asyncio.wait_for(login_id, 30.0)
            if seg.login_response is not None:
                writer.write(_with_action_id(seg.login_response, action_id))
            else:
                writer.write(format_action({"Response": "Success", "ActionID": action_id,
                                            "Message": "Authentication accepted"}))
            await writer.drain()
            completed = await self._stream(seg, writer, answers, wake, state)
            if completed:
                self._seg_index += 1
                self._frame_index = 0
                writer.close()
                if self._seg_index >= len(self._segments):
                    self.final_connection = self.connections
                    log.info("replay: all %d connection(s) served", len(self._segments))
                    self.finished.set()
        except (ConnectionError, TimeoutError) as exc:
            log.warning("replay: client connection %d ended early: %s", self.connections, exc)
            writer.transport.abort()
        finally:
            reader_task.cancel()

    async def _read_actions(self, reader: asyncio.StreamReader, answers: list[tuple[str, str, str]], wake: asyncio.Event,
                            login_id: asyncio.Future, state: dict) -> None:
        splitter = FrameSplitter()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                for f in splitter.feed(data):
                    if not f.usable:
                        continue
                    action = (f.get("Action") or "").lower()
                    aid = f.get("ActionID") or ""
                    if action == "login" and not login_id.done():
                        login_id.set_result(aid)
                        continue
                    answers.append((action, aid, f.get("Action") or ""))
                    if action == "logoff":
                        state["logoff"] = True
                    wake.set()
        except (ConnectionError, asyncio.CancelledError):
            return

    def _catch_up(self) -> None:
        """Bring the channel tracker to the point the stream has reached."""
        seg_i, frame_i = self._tracked
        end_seg, end_frame = self._streamed
        while (seg_i, frame_i) < (end_seg, end_frame) and seg_i < len(self._segments):
            seg = self._segments[seg_i]
            stop = end_frame if seg_i == end_seg else len(seg.starts)
            for i in range(frame_i, stop):
                self._tracker.update(seg.frame(i))
            if seg_i == end_seg:
                frame_i = stop
                break
            seg_i, frame_i = seg_i + 1, 0
        self._tracked = (seg_i, frame_i)

    def _stamp(self) -> str:
        """The recorded time at the current point of the stream (for Ping answers)."""
        seg_i, frame_i = self._streamed
        if seg_i < len(self._segments):
            seg = self._segments[seg_i]
            for i in range(min(frame_i, len(seg.starts)) - 1, max(-1, frame_i - 50), -1):
                ts = seg.timestamp(i)
                if ts is not None:
                    return f"{ts:.6f}"
        return "0.000000"

    def _answer(self, action: str, aid: str, name: str) -> bytes:
        if action in ("coreshowchannels", "status"):
            self._catch_up()
        if action == "ping":
            stamp = self._stamp()
            return format_action({"Response": "Success", "ActionID": aid, "Ping": "Pong", "Timestamp": stamp})
        if action == "logoff":
            return format_action({"Response": "Goodbye", "ActionID": aid, "Message": "Thanks for all the fish."})
        if action in ("coreshowchannels", "status"):
            item, done = (("CoreShowChannel", "CoreShowChannelsComplete") if action == "coreshowchannels"
                          else ("Status", "StatusComplete"))
            items = self._tracker.listing(item, aid)
            out = [format_action({"Response": "Success", "ActionID": aid, "EventList": "start",
                                  "Message": "Channels will follow" if action == "coreshowchannels"
                                  else "Channel status will follow"})]
            out += [format_action(i) for i in items]
            out.append(format_action({"Event": done, "ActionID": aid, "EventList": "Complete",
                                      "ListItems": str(len(items))}))
            return b"".join(out)
        if action == "queuestatus":
            return (format_action({"Response": "Success", "ActionID": aid, "EventList": "start",
                                   "Message": "Queue status will follow"})
                    + format_action({"Event": "QueueStatusComplete", "ActionID": aid, "EventList": "Complete",
                                     "ListItems": "0"}))
        return format_action({"Response": "Error", "ActionID": aid,
                              "Message": f"{name or 'action'} is not available in a replay"})

    async def _stream(self, seg: _Segment, writer: asyncio.StreamWriter, answers: list[tuple[str, str, str]],
                      wake: asyncio.Event, state: dict) -> bool:
        """Stream the body from the resume point; True when the segment was completed."""
        chunk = self.chunk_size
        block = chunk or 65536
        carry = bytearray()
        loop = asyncio.get_running_loop()
        started = loop.time()
        first_stamp: float | None = None
        drop_rel = (self.drop_at - seg.offset) if self.drop_at is not None else None
        if drop_rel is not None and drop_rel < 0 and self.drop_at >= seg.segment_start:
            drop_rel = 0  # inside the greeting or login answer: drop before the first event
        body = seg.body
        seg_index = self._seg_index

        async def flush(limit_to_chunks: bool) -> None:
            # write what is carried: in chunk_size pieces when asked, leaving a tail < chunk
            while carry and (len(carry) >= block or not limit_to_chunks):
                piece = bytes(carry[:block])
                del carry[:block]
                writer.write(piece)
                self.bytes_streamed += len(piece)
                self.writes += 1
                await writer.drain()
                if chunk:
                    await asyncio.sleep(0)  # let the piece go out as its own TCP segment

        for i in range(self._frame_index, len(seg.starts)):
            start, end = seg.starts[i], seg.ends[i]
            stamp = seg.timestamp(i) if self.speed != "max" else None
            if stamp is not None:
                if first_stamp is None:
                    first_stamp = stamp
                due = started + (stamp - first_stamp) / float(self.speed)
                await flush(False)
                while loop.time() < due:
                    wake.clear()
                    try:
                        await asyncio.wait_for(wake.wait(), due - loop.time())
                    except TimeoutError:
                        pass
                    if answers:
                        await self._write_answers(writer, answers)
            if answers:
                await flush(False)
                await self._write_answers(writer, answers)
                if state["logoff"]:
                    self._frame_index = i
                    writer.close()
                    return False
            if drop_rel is not None and start <= drop_rel < end:
                carry += body[start:drop_rel]
                await flush(False)
                self.drop_at = None
                self.drops += 1
                self._frame_index = i  # resume with the frame the drop cut, whole
                log.info("replay: dropping the connection at byte %d (resuming at %d)",
                         seg.offset + drop_rel, seg.offset + start)
                writer.transport.abort()
                return False
            carry += body[start:end]
            self._streamed = (seg_index, i + 1)
            if len(carry) >= block:
                await flush(True)
        await flush(False)
        if answers:
            await self._write_answers(writer, answers)
        # give answers to actions that arrive right at the end a moment
        await asyncio.sleep(0)
        if answers:
            await self._write_answers(writer, answers)
        return True

    async def _write_answers(self, writer: asyncio.StreamWriter, answers: list[tuple[str, str, str]]) -> None:
        data = b"".join(self._answer(*a) for a in answers)
        answers.clear()
        writer.write(data)
        await writer.drain()


def _with_action_id(response: bytes, action_id: str) -> bytes:
    """The recorded response with its ActionID replaced by (or given) the client's."""
    line = b"ActionID: " + action_id.encode("utf-8")
    if _ACTIONID_LINE.search(response):
        return _ACTIONID_LINE.sub(lambda _m: line, response, count=1)
    head, sep, rest = response.partition(b"\r\n")
    return head + sep + line + b"\r\n" + rest


@dataclass
class ReplayResult:
    connections: int  # TCP connections the server served
    drops: int  # connections dropped on purpose (drop_at)
    bytes_streamed: int
    writes: int  # stream pieces written


async def run_replay(capture: str | Path | list[bytes], on_messages: Callable[[list[Frame], int], Any], *,
                     chunk_size: int | None = None, speed: str | float | None = "max", drop_at: int | None = None,
                     on_connect: Callable[[int], Any] | None = None,
                     on_disconnect: Callable[[int, str], Any] | None = None,
                     timeout: float | None = None, parse_filter=None) -> ReplayResult:
    """Replay a capture (folder, `ami.raw[.gz]` file, or list of segments) through a real
    `AmiLink` over loopback TCP; return when the whole stream has been delivered.

    `on_messages(frames, connection_no)` receives every frame exactly as in a live listen;
    `on_connect` / `on_disconnect` are passed to the link (the listener's reconnect path),
    and `parse_filter` (a `contactcenter.ami.protocol.ParseFilter`) to its splitter.
    """
    from contactcenter.ami.connection import AmiLink
    from contactcenter.config import AmiTarget

    segments = capture if isinstance(capture, list) else connection_segments(capture)
    server = ReplayServer(segments, chunk_size=chunk_size, speed=speed, drop_at=drop_at)
    await server.start()
    ended: dict[int, str] = {}
    last_end = asyncio.Event()

    def _disconnected(conn: int, reason: str) -> Any:
        ended[conn] = reason
        last_end.set()
        if on_disconnect is not None:
            return on_disconnect(conn, reason)
        return None

    target = AmiTarget(host="127.0.0.1", port=server.port, username="replay", secret="replay")
    link = AmiLink(target, on_messages, on_connect=on_connect, on_disconnect=_disconnected,
                   parse_filter=parse_filter, backoff_initial_s=0.01, backoff_max_s=0.2, ping_interval_s=30.0, pong_timeout_s=30.0)

    async def _until_done() -> None:
        await link.start()
        await server.finished.wait()
        # the server has written everything; wait until the link has read it all (its
        # connection ended), so nothing is cut off by closing the link
        while server.final_connection not in ended:
            last_end.clear()
            await last_end.wait()

    try:
        await asyncio.wait_for(_until_done(), timeout)
    finally:
        await link.close()
        await server.close()
    return ReplayResult(connections=server.final_connection, drops=server.drops, bytes_streamed=server.bytes_streamed,
                        writes=server.writes)
