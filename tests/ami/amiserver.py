"""A small loopback AMI server for the link's tests: real TCP on 127.0.0.1, port 0.

It greets with the banner, answers Login (checking the secret), Ping (unless told to
withhold the Pong), Logoff, CoreShowChannels (from `channels`), stays silent on the actions
named in `silent`, answers `Response: Error` to those in `refuse`, and `Success` to anything
else. Tests push raw bytes to the client and drop connections.
"""
from __future__ import annotations

import asyncio

from contactcenter.ami.protocol import FrameSplitter

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def frame(*pairs: tuple[str, str]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in pairs).encode("utf-8") + b"\r\n"


class FakeAsterisk:
    def __init__(self, username: str = "listener", secret: str = "s3cret-pw") -> None:
        self.username = username
        self.secret = secret
        self.withhold_pong: set[int] = set()  # connection numbers (1-based) that never get a Pong
        self.silent: set[str] = set()  # action names (lower case) never answered
        self.refuse: set[str] = set()
        self.channels: list[dict[str, str]] = []
        self.actions: list[tuple[int, list[tuple[str, str]]]] = []  # (connection, pairs)
        self.writers: list[asyncio.StreamWriter] = []
        self.logins = 0
        self._server: asyncio.base_events.Server | None = None
        self._changed = asyncio.Event()
        self.port = 0

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        for w in self.writers:
            w.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # -- what tests do
    async def push(self, data: bytes, conn: int = -1) -> None:
        """Write bytes to a connection (1-based number, default the latest) and drain."""
        w = self.writers[conn - 1 if conn > 0 else conn]
        w.write(data)
        await w.drain()

    async def push_in_pieces(self, data: bytes, size: int, conn: int = -1) -> None:
        """Write in separate TCP segments (a short pause between them so reads stay apart)."""
        for i in range(0, len(data), size):
            await self.push(data[i:i + size], conn)
            await asyncio.sleep(0.005)

    def drop(self, conn: int = -1) -> None:
        """Close a connection abruptly."""
        w = self.writers[conn - 1 if conn > 0 else conn]
        w.transport.abort()

    def actions_named(self, name: str, conn: int | None = None) -> list[list[tuple[str, str]]]:
        return [p for c, p in self.actions
                if dict(p).get("Action", "").lower() == name.lower() and (conn is None or c == conn)]

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        async def _wait():
            while not predicate():
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(_wait(), timeout)

    # -- the server side
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        conn = len(self.writers)
        self._poke()
        writer.write(BANNER)
        splitter = FrameSplitter()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for f in splitter.feed(data):
                    if f.is_banner:
                        continue
                    self.actions.append((conn, f.pairs))
                    self._poke()
                    if not self._answer(conn, f.fields, writer):
                        return
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._poke()

    def _poke(self) -> None:
        self._changed.set()

    def _answer(self, conn: int, fields: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        action = fields.get("Action", "").lower()
        aid = ("ActionID", fields.get("ActionID", ""))
        if action in self.silent:
            return True
        if action in self.refuse:
            writer.write(frame(("Response", "Error"), aid, ("Message", "Permission denied")))
            return True
        if action == "login":
            if fields.get("Username") == self.username and fields.get("Secret") == self.secret:
                self.logins += 1
                writer.write(frame(("Response", "Success"), aid, ("Message", "Authentication accepted")))
                writer.write(frame(("Event", "FullyBooted"), ("Privilege", "system,all"), ("Status", "Fully Booted")))
                return True
            writer.write(frame(("Response", "Error"), aid, ("Message", "Authentication failed")))
            return False
        if action == "ping":
            if conn not in self.withhold_pong:
                writer.write(frame(("Response", "Success"), aid, ("Ping", "Pong"),
                                   ("Timestamp", "1796321252.000000")))
            return True
        if action == "logoff":
            writer.write(frame(("Response", "Goodbye"), aid, ("Message", "Thanks for all the fish.")))
            return False
        if action == "coreshowchannels":
            writer.write(frame(("Response", "Success"), aid, ("EventList", "start"),
                               ("Message", "Channels will follow")))
            # an unrelated event in the middle of the list, as on a busy PBX
            writer.write(frame(("Event", "Newexten"), ("Channel", "PJSIP/trunk-00000001")))
            for ch in self.channels:
                writer.write(frame(("Event", "CoreShowChannel"), aid, *ch.items()))
            writer.write(frame(("Event", "CoreShowChannelsComplete"), aid, ("EventList", "Complete"),
                               ("ListItems", str(len(self.channels)))))
            return True
        writer.write(frame(("Response", "Success"), aid, ("Message", f"{fields.get('Action')} done")))
        return True
