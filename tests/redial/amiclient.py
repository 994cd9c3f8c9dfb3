"""A minimal real AMI client over TCP with the interface of the listener's `AmiLink`
(`send_action(action, *, resend_on_reconnect=False, timeout=10) -> list[Message]`), used until
that link is on main. Messages go to `on_message`; after a reconnect it fetches the live
channels and awaits `on_reconnect(live_channels)`, as the listener does. Actions in flight when
the connection drops fail with ConnectionError and are never re-sent (unless asked to).
"""
from __future__ import annotations

import asyncio
import itertools

from contactcenter.ami.protocol import FrameSplitter, format_action


class AmiError(Exception):
    """Asterisk answered `Response: Error`."""


class TestAmiLink:
    __test__ = False  # not a pytest class

    def __init__(self, port: int, *, on_message=None, on_reconnect=None, name: str = "t"):
        self.port = port
        self.on_message = on_message
        self.on_reconnect = on_reconnect
        self.name = name
        self._ids = itertools.count(1)
        self._pending: dict[str, tuple[asyncio.Future, list, bool, dict]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self.connections = 0

    async def connect(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._writer = writer
        self.connections += 1
        self._reader_task = asyncio.get_running_loop().create_task(self._read(reader))
        await self._send_now({"Action": "Login", "Username": "test", "Secret": "test"}, timeout=5)
        self._connected.set()

    async def close(self) -> None:
        self._closing = True
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()
            try:
                await self._reader_task
            except (asyncio.CancelledError, Exception):
                pass

    async def send_action(self, action: dict, *, resend_on_reconnect: bool = False, timeout: float = 10) -> list:
        await asyncio.wait_for(self._connected.wait(), timeout)
        return await self._send_now(action, timeout=timeout, resend=resend_on_reconnect)

    async def _send_now(self, action: dict, *, timeout: float, resend: bool = False) -> list:
        action_id = f"{self.name}-{next(self._ids)}"
        action = {**action}
        action.setdefault("ActionID", action_id)
        action_id = action["ActionID"]
        data = format_action(action)
        future = asyncio.get_running_loop().create_future()
        self._pending[action_id] = (future, [], resend, action)
        self._writer.write(data)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(action_id, None)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        splitter = FrameSplitter()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for frame in splitter.feed(data):
                    if frame.is_banner or not frame.pairs:
                        continue
                    self._dispatch(frame)
        except asyncio.CancelledError:
            return
        except ConnectionError:
            pass
        self._connected.clear()
        for action_id, (future, _, resend, _action) in list(self._pending.items()):
            if not future.done():
                future.set_exception(ConnectionError("AMI connection lost; action not re-sent"))
        if not self._closing:
            asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        while not self._closing:
            try:
                await self.connect()
                break
            except OSError:
                await asyncio.sleep(0.05)
        if self.on_reconnect is not None and not self._closing:
            messages = await self.send_action({"Action": "CoreShowChannels"})
            await self.on_reconnect([m for m in messages if m.name == "CoreShowChannel"])

    def _dispatch(self, frame) -> None:
        action_id = frame.action_id
        entry = self._pending.get(action_id) if action_id else None
        if entry is not None:
            future, collected, _, _ = entry
            if frame.is_response:
                if frame.get("Response") == "Error":
                    if not future.done():
                        future.set_exception(AmiError(frame.get("Message") or "error"))
                    return
                collected.append(frame)
                if (frame.get("EventList") or "").lower() != "start" and not future.done():
                    future.set_result(collected)
                return
            if frame.is_event and (frame.get("EventList") or "").lower() == "complete":
                collected.append(frame)
                if not future.done():
                    future.set_result(collected)
                return
            if frame.is_event and frame.name != "OriginateResponse":
                collected.append(frame)
                return
        if frame.is_event and self.on_message is not None:
            self.on_message(frame)
