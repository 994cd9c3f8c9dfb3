"""A small AMI client on a real TCP socket, for talking to the simulator in tests."""
from __future__ import annotations

import asyncio


class AmiTestClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, banner: str):
        self.reader, self.writer, self.banner = reader, writer, banner

    @classmethod
    async def connect(cls, port: int) -> "AmiTestClient":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        banner = (await asyncio.wait_for(reader.readline(), 5)).decode().rstrip("\r\n")
        return cls(reader, writer, banner)

    async def send(self, **fields) -> None:
        lines = []
        for key, value in fields.items():
            for v in value if isinstance(value, list) else [value]:
                lines.append(f"{key}: {v}\r\n")
        self.writer.write(("".join(lines) + "\r\n").encode())
        await self.writer.drain()

    async def read(self, timeout: float = 5.0) -> list[tuple[str, str]] | None:
        """One message as ordered pairs, or None at end of stream."""
        pairs = []
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
            if not line:
                return None
            text = line.decode("utf-8").rstrip("\r\n")
            if not text:
                if pairs:
                    return pairs
                continue
            k, _, v = text.partition(": ")
            pairs.append((k, v))

    async def read_until(self, pred, timeout: float = 5.0) -> tuple[list, list]:
        """Read messages until `pred(dict)` holds; return (that message, all read)."""
        seen = []
        while True:
            msg = await self.read(timeout)
            assert msg is not None, "connection closed"
            seen.append(msg)
            if pred(dict(msg)):
                return msg, seen

    async def login(self, username="contactcenter", secret="contactcenter", events="on") -> list:
        await self.send(Action="Login", ActionID="login-1", Username=username, Secret=secret, Events=events)
        return await self.read()

    async def drain_pending(self, settle: float = 0.05) -> list:
        out = []
        while True:
            try:
                msg = await self.read(settle)
            except asyncio.TimeoutError:
                return out
            if msg is None:
                return out
            out.append(msg)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass
