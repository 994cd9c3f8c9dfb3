"""The loopback AMI server in front of `HotlineModel`: the thin, asyncio part of the simulator.

It speaks the Asterisk Manager Interface as Asterisk 22 does (banner, Login, `Response:`
shapes, event lists) and turns wall time into simulated time (`speed` × faster, or a
manual clock when `speed` is None, for tests). Events are broadcast to every logged-in
client that asked for them; a client that goes away simply stops receiving — calls go on,
as on a real PBX, and the next client gets events from the moment it logs in.

Typical test use::

    sim = Simulator(seats=60, speed=None, seed=1)       # manual clock
    await sim.start()                                   # binds 127.0.0.1, port 0
    ...connect to ("127.0.0.1", sim.port), log in as sim.username / sim.secret...
    sim.model.queue_add("8001"); sim.model.place_call("13900001101", patience=20)
    await sim.advance(30)                               # 30 simulated seconds, events flushed
    sim.originate_counts()                              # {"13900007001": 1}
    await sim.stop()
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field

from contactcenter.sim import writer as w
from contactcenter.sim.model import HotlineModel
from contactcenter.sim.traffic import DailyTraffic, TrafficSettings

log = logging.getLogger("contactcenter.sim")

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
MAX_ACTION_BYTES = 64 * 1024
MAX_CLIENT_BUFFER = 8 * 1024 * 1024
SEAT_CHANNEL = re.compile(r"^PJSIP/(\d{3,6})$")
DIGITS = re.compile(r"^\+?\d{1,20}$")
SAFE = re.compile(r"^[^\r\n]{0,256}$")
CALLERID = re.compile(r'^\s*"?([^"<]*)"?\s*<(\d{1,20})>\s*$')


def mask(number: str) -> str:
    """Log-safe form of a phone number: 13900001234 -> 139****1234."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def _reply(pairs: list[tuple[str, str]]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in pairs).encode("utf-8") + b"\r\n"


@dataclass(eq=False)
class Client:
    writer: asyncio.StreamWriter
    peer: str
    authed: bool = False
    events: bool = True
    username: str = ""
    closed: bool = False
    actions: list[str] = field(default_factory=list)

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            if self.writer.transport.get_write_buffer_size() > MAX_CLIENT_BUFFER:
                # a reader that does not keep up is dropped, like Asterisk's writetimeout
                log.warning("AMI client %s too slow, disconnecting", self.peer)
                self.close()
                return
            self.writer.write(data)
        except (ConnectionError, RuntimeError):
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.writer.close()
            except RuntimeError:
                pass


class Simulator:
    """A simulated Asterisk: model + traffic + AMI server."""

    def __init__(self, seats: int = 60, calls_per_day: int = 0, speed: float | None = 1.0, seed: int = 0,
                 username: str = "contactcenter", secret: str = "contactcenter", host: str = "127.0.0.1",
                 port: int = 0, start: float | None = None, day_start: float | None = None,
                 model: HotlineModel | None = None, staffing: bool | None = None):
        self.start_time = time.time() if start is None else start
        self.model = model or HotlineModel(seats=seats, seed=seed, start=self.start_time, keep_events=False)
        self.model.keep_events = False
        self.model.listeners.append(self._broadcast)
        self.speed = speed
        self.username, self.secret = username, secret
        self.host, self.port = host, port
        self.traffic: DailyTraffic | None = None
        if calls_per_day > 0 or staffing:
            self.traffic = DailyTraffic(self.model, TrafficSettings(calls_per_day=calls_per_day), seed=seed,
                                        day_start=day_start, staffing=staffing if staffing is not None else True)
            self.traffic.install()
        self.clients: set[Client] = set()
        self.events_sent = 0
        self._server: asyncio.base_events.Server | None = None
        self._ticker: asyncio.Task | None = None
        self._wall0 = 0.0
        self._sim0 = self.model.now
        self._lock = asyncio.Lock()
        self.actions_seen: list[str] = []
        self._held: list[w.AmiEvent] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> int:
        """Listen on (host, port) — port 0 picks a free one; returns the port."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_ACTION_BYTES)
        self.port = self._server.sockets[0].getsockname()[1]
        self._wall0 = time.monotonic()
        self._sim0 = self.model.now
        if self.speed is not None:
            self._ticker = asyncio.create_task(self._tick())
        log.info("AMI simulator listening on %s:%s (speed %s)", self.host, self.port, self.speed or "manual")
        return self.port

    async def stop(self) -> None:
        if self._ticker:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
        for client in list(self.clients):
            client.close()
        self.clients.clear()
        if self._server:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> "Simulator":
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    def sim_now(self) -> float:
        if self.speed is None:
            return self.model.now
        return self._sim0 + (time.monotonic() - self._wall0) * self.speed

    async def _tick(self) -> None:
        while True:
            due = self.model.next_due()
            now = self.sim_now()
            if due is not None and due <= now:
                self.model.run_until(now)
                await self._drain_clients()
                continue
            wait = 0.05 if due is None else min(0.05, (due - now) / self.speed)
            await asyncio.sleep(max(0.001, wait))

    async def _drain_clients(self) -> None:
        for client in list(self.clients):
            if client.closed:
                self.clients.discard(client)
                continue
            try:
                await asyncio.wait_for(client.writer.drain(), timeout=2.0)
            except (ConnectionError, asyncio.TimeoutError, RuntimeError):
                client.close()
                self.clients.discard(client)

    async def advance(self, seconds: float) -> None:
        """Manual clock: run `seconds` of simulated time now and flush the events."""
        self.model.run_until(self.model.now + seconds)
        await self._drain_clients()
        await asyncio.sleep(0)

    async def run_until_idle(self, limit: float = 3600.0) -> None:
        """Manual clock: run until nothing is scheduled (bounded by `limit` seconds)."""
        end = self.model.now + limit
        while self.model.next_due() is not None and self.model.next_due() <= end:
            self.model.run_until(self.model.next_due())
        await self._drain_clients()
        await asyncio.sleep(0)

    def originate_counts(self) -> dict[str, int]:
        """How many Originate actions asked to call each number (Exten)."""
        return dict(self.model.originates)

    async def restart_pbx(self, down_s: float = 0.2) -> None:
        """Simulate an Asterisk restart: connections drop, the port is closed for `down_s`
        wall seconds, calls vanish, and the next login sees a small Uptime."""
        for client in list(self.clients):
            client.close()
        self.clients.clear()
        if self._server:
            self._server.close()
            await self._server.wait_closed()
        self.model.restart()
        await asyncio.sleep(down_s)
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_ACTION_BYTES)

    # ------------------------------------------------------------------ events
    def _broadcast(self, ev: w.AmiEvent) -> None:
        if self._held is not None:
            self._held.append(ev)
            return
        if not self.clients:
            return
        data = ev.encode()
        for client in self.clients:
            if client.authed and client.events and not client.closed:
                client.send(data)
                self.events_sent += 1

    # ------------------------------------------------------------------ connection
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = "%s:%s" % writer.get_extra_info("peername")[:2]
        client = Client(writer, peer)
        writer.write(BANNER)
        try:
            while not client.closed:
                action = await self._read_action(reader)
                if action is None:
                    break
                await self._handle(client, action)
                if not client.closed:
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            log.info("AMI client %s: %s", peer, exc.__class__.__name__)
        finally:
            client.close()
            self.clients.discard(client)

    async def _read_action(self, reader: asyncio.StreamReader) -> list[tuple[str, str]] | None:
        pairs: list[tuple[str, str]] = []
        size = 0
        while True:
            line = await reader.readline()
            if not line:
                return None
            size += len(line)
            if size > MAX_ACTION_BYTES:
                raise ValueError("action too large")
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if not text:
                if pairs:
                    return pairs
                continue
            key, _, value = text.partition(":")
            pairs.append((key.strip(), value.strip()))

    async def _handle(self, client: Client, pairs: list[tuple[str, str]]) -> None:
        fields: dict[str, str] = {}
        variables: list[str] = []
        for k, v in pairs:
            if k.lower() == "variable":
                variables.append(v)
            fields[k.lower()] = v
        name = fields.get("action", "")
        aid = [("ActionID", fields["actionid"])] if "actionid" in fields else []
        self.actions_seen.append(name)
        lname = name.lower()
        if lname == "login":
            self._login(client, fields, aid)
            return
        if lname == "logoff":
            client.send(_reply([("Response", "Goodbye"), *aid, ("Message", "Thanks for all the fish.")]))
            await client.writer.drain()
            client.close()
            return
        if not client.authed:
            client.send(_reply([("Response", "Error"), *aid, ("Message", "Permission denied")]))
            return
        handler = getattr(self, f"_act_{lname}", None)
        if handler is None or not name:
            client.send(_reply([("Response", "Error"), *aid, ("Message", "Invalid/unknown command")]))
            return
        if self.speed is not None:
            # bring the model up to the present before it acts
            self.model.run_until(self.sim_now())
        # events the action itself causes follow its response, as in Asterisk
        self._held = []
        try:
            handler(client, fields, variables, aid)
        finally:
            held, self._held = self._held, None
            for ev in held:
                self._broadcast(ev)

    def _login(self, client: Client, fields: dict, aid: list) -> None:
        if fields.get("username") != self.username or fields.get("secret") != self.secret:
            log.warning("AMI login failed for %r from %s", fields.get("username", "")[:32], client.peer)
            client.send(_reply([("Response", "Error"), *aid, ("Message", "Authentication failed")]))
            return
        client.authed = True
        client.username = self.username
        client.events = fields.get("events", "on").lower() not in ("off", "no", "false", "0")
        client.send(_reply([("Response", "Success"), *aid, ("Message", "Authentication accepted")]))
        m = self.model
        self.clients.add(client)
        if not client.events:
            return
        client.send(_reply(w.fully_booted(m.uptime, int(m.now - m.reloaded_at))))
        ts = m.now
        client.send(w.plain_event(ts, "SuccessfulAuth", "security,all", [
            ("EventTV", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".000+0000"),
            ("Severity", "Informational"), ("Service", "AMI"), ("EventVersion", "1"),
            ("AccountID", self.username), ("SessionID", f"0x{id(client) & 0xffffffffffff:x}"),
            ("LocalAddress", f"IPV4/TCP/{self.host}/{self.port}"), ("RemoteAddress", f"IPV4/TCP/{client.peer.replace(':', '/')}"),
            ("UsingPassword", "0"), ("SessionTV", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".000+0000"),
        ]).encode())

    # ------------------------------------------------------------------ actions
    def _ok(self, client: Client, aid: list, message: str, *more: tuple[str, str]) -> None:
        client.send(_reply([("Response", "Success"), *aid, ("Message", message), *more]))

    def _error(self, client: Client, aid: list, message: str) -> None:
        client.send(_reply([("Response", "Error"), *aid, ("Message", message)]))

    def _act_ping(self, client, fields, variables, aid) -> None:
        client.send(_reply([("Response", "Success"), *aid, ("Ping", "Pong"), ("Timestamp", f"{self.sim_now():.6f}")]))

    def _act_events(self, client, fields, variables, aid) -> None:
        mask_ = fields.get("eventmask", "on").lower()
        client.events = mask_ not in ("off", "no", "false", "0", "")
        client.send(_reply([("Response", "Success"), *aid, ("Events", "On" if client.events else "Off")]))

    def _act_originate(self, client, fields, variables, aid) -> None:
        channel = fields.get("channel", "")
        exten = fields.get("exten", "")
        context = fields.get("context", "")
        seat = SEAT_CHANNEL.match(channel)
        if not channel:
            self._error(client, aid, "Channel not specified")
            return
        if seat is None or not DIGITS.match(exten) or not SAFE.match(context) or not context:
            self._error(client, aid, "Originate failed: invalid channel, exten or context")
            return
        cid = CALLERID.match(fields.get("callerid", "")) or None
        caller_id = (cid.group(1).strip(), cid.group(2)) if cid else ("", "")
        values: dict[str, str] = {}
        for item in variables:
            for part in item.split(","):
                k, _, v = part.partition("=")
                if k.strip():
                    values[k.strip()] = v
        try:
            timeout_ms = int(fields.get("timeout", "30000"))
        except ValueError:
            self._error(client, aid, "Invalid timeout")
            return
        action_id = fields.get("actionid", "")
        self._ok(client, aid, "Originate successfully queued")
        self.model.originate(seat.group(1), exten, context, caller_id, values, action_id, timeout_ms)
        log.info("Originate %s -> %s (count %d)", channel, mask(exten), self.model.originates[exten])

    def _act_setvar(self, client, fields, variables, aid) -> None:
        if fields.get("variable") == "HOTLINE_CAPACITY" and fields.get("value", "").isdigit():
            self.model.capacity = int(fields["value"])
        self._ok(client, aid, "Variable Set")

    def _act_queueadd(self, client, fields, variables, aid) -> None:
        m = SEAT_CHANNEL.match(fields.get("interface", ""))
        if m is None or fields.get("queue", "hotline") != self.model.queue:
            self._error(client, aid, "Unable to add interface: Not there")
            return
        msg = self.model.queue_add(m.group(1), fields.get("membername") or None)
        (self._ok if msg.startswith("Added") else self._error)(client, aid, msg)

    def _act_queueremove(self, client, fields, variables, aid) -> None:
        m = SEAT_CHANNEL.match(fields.get("interface", ""))
        msg = self.model.queue_remove(m.group(1)) if m else "Unable to remove interface: Not there"
        (self._ok if msg.startswith("Removed") else self._error)(client, aid, msg)

    def _act_queuepause(self, client, fields, variables, aid) -> None:
        m = SEAT_CHANNEL.match(fields.get("interface", ""))
        paused = fields.get("paused", "true").lower() in ("true", "yes", "1", "on")
        reason = fields.get("reason", "")
        msg = self.model.queue_pause(m.group(1), paused, reason) if m else "Interface not found"
        (self._ok if msg.startswith("Interface ") and "successfully" in msg else self._error)(client, aid, msg)

    def _act_blindtransfer(self, client, fields, variables, aid) -> None:
        err = self.model.blind_transfer(fields.get("channel", ""), fields.get("exten", ""),
                                        fields.get("context", "from-agent"))
        if err:
            self._error(client, aid, err)
        else:
            self._ok(client, aid, "Transfer succeeded")

    def _act_hangup(self, client, fields, variables, aid) -> None:
        cause = fields.get("cause", "16")
        if not cause.isdigit() or not self.model.hangup_channel(fields.get("channel", ""), int(cause)):
            self._error(client, aid, "No such channel")
        else:
            self._ok(client, aid, "Channel Hungup")

    def _list(self, client, aid, start_msg: str, items: list[list[tuple[str, str]]], complete: str,
              count_key: str = "ListItems") -> None:
        client.send(_reply([("Response", "Success"), *aid, ("EventList", "start"), ("Message", start_msg)]))
        for item in items:
            client.send(_reply(item))
        client.send(_reply([("Event", complete), *aid, ("EventList", "Complete"), (count_key, str(len(items)))]))

    def _duration(self, since: float) -> str:
        secs = max(0, int(self.model.now - since))
        return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"

    def _act_coreshowchannels(self, client, fields, variables, aid) -> None:
        items = []
        bridged = self.model.bridged_channels()
        for ch in self.model.core_channels():
            items.append([("Event", "CoreShowChannel"), *aid] + ch.block() + [
                ("BridgeId", bridged.get(ch.uniqueid, "")),
                ("Application", "Queue" if ch.context == "from-trunk" else "AppQueue"),
                ("ApplicationData", ""), ("Duration", self._duration(ch.created_at))])
        self._list(client, aid, "Channels will follow", items, "CoreShowChannelsComplete")

    def _act_status(self, client, fields, variables, aid) -> None:
        items = []
        for ch in self.model.core_channels():
            items.append([("Event", "Status"), ("Privilege", "Call"), *aid] + ch.block() + [
                ("Type", "PJSIP"), ("DNID", ch.exten if ch.context == "from-trunk" else ""),
                ("EffectiveConnectedLineNum", ch.conn_num), ("EffectiveConnectedLineName", ch.conn_name),
                ("TimeToHangup", "0"), ("BridgeID", ""), ("Application", ""), ("Data", ""),
                ("Nativeformats", "(ulaw)"), ("Readformat", "ulaw"), ("Writeformat", "ulaw"),
                ("Callgroup", "0"), ("Pickupgroup", "0"), ("Seconds", str(int(self.model.now - ch.created_at)))])
        client.send(_reply([("Response", "Success"), *aid, ("EventList", "start"),
                            ("Message", "Channel status will follow")]))
        for item in items:
            client.send(_reply(item))
        client.send(_reply([("Event", "StatusComplete"), *aid, ("EventList", "Complete"),
                            ("ListItems", str(len(items))), ("Items", str(len(items)))]))

    def _act_queuestatus(self, client, fields, variables, aid) -> None:
        m = self.model
        wanted = fields.get("queue")
        items: list[list[tuple[str, str]]] = []
        if wanted in (None, "", m.queue):
            items.append([("Event", "QueueParams"), ("Queue", m.queue), ("Max", "0"), ("Strategy", "rrmemory"),
                          ("Calls", str(len(m.waiting))), ("Holdtime", "0"), ("TalkTime", "0"),
                          ("Completed", str(m.completed)), ("Abandoned", str(m.abandoned)),
                          ("ServiceLevel", "20"), ("ServicelevelPerf", "0.0"), ("ServicelevelPerf2", "0.0"),
                          ("Weight", "0"), *aid])
            for seat in m.members:
                mem = seat.member
                items.append([("Event", "QueueMember"), ("Queue", m.queue), ("Name", mem.name),
                              ("Location", seat.interface), ("StateInterface", seat.interface),
                              ("Membership", "dynamic"), ("Penalty", "0"), ("CallsTaken", str(mem.calls_taken)),
                              ("LastCall", str(mem.last_call)), ("LastPause", str(mem.last_pause)),
                              ("LoginTime", str(mem.login_time)), ("InCall", str(mem.in_call)),
                              ("Status", str(mem.status)), ("Paused", "1" if mem.paused else "0"),
                              ("PausedReason", mem.paused_reason), ("Wrapuptime", "0"), *aid])
            for pos, call in enumerate(m.waiting, 1):
                ch = call.caller
                items.append([("Event", "QueueEntry"), ("Queue", m.queue), ("Position", str(pos)),
                              ("Channel", ch.name), ("Uniqueid", ch.uniqueid), ("CallerIDNum", ch.cid_num),
                              ("CallerIDName", ch.cid_name), ("ConnectedLineNum", ch.conn_num),
                              ("ConnectedLineName", ch.conn_name),
                              ("Wait", str(int(m.now - (call.queue_joined or m.now)))), ("Priority", "0"), *aid])
        client.send(_reply([("Response", "Success"), *aid, ("EventList", "start"),
                            ("Message", "Queue status will follow")]))
        for item in items:
            client.send(_reply(item))
        client.send(_reply([("Event", "QueueStatusComplete"), *aid, ("EventList", "Complete"),
                            ("ListItems", str(len(items)))]))

    def _act_queuesummary(self, client, fields, variables, aid) -> None:
        m = self.model
        logged = len(m.members)
        available = sum(1 for s in m.members if m._available(s))
        longest = max((int(m.now - c.queue_joined) for c in m.waiting if c.queue_joined), default=0)
        items = [[("Event", "QueueSummary"), ("Queue", m.queue), ("LoggedIn", str(logged)),
                  ("Available", str(available)), ("Callers", str(len(m.waiting))), ("HoldTime", "0"),
                  ("TalkTime", "0"), ("LongestHoldTime", str(longest)), *aid]]
        self._list(client, aid, "Queue summary will follow", items, "QueueSummaryComplete")
