"""The AMI link: an asyncio client that stays logged in to Asterisk.

Built on panoramisk's `AMIProtocol` (the asyncio transport plumbing), with the parts of
panoramisk 1.4 that are wrong for a call-logging product replaced:

- bytes go through our `FrameSplitter` (panoramisk decodes each TCP chunk on its own, which
  breaks a multi-byte caller name cut by TCP, and splits only on `\\r\\n\\r\\n`);
- every message — events and responses, the greeting too — is handed in arrival order to
  `on_messages(frames, connection_no)`, one call per TCP read (the listener journals then
  correlates them);
- actions are matched to their answer by ActionID only; list actions (CoreShowChannels,
  QueueStatus, Status, …) collect their events up to the `…Complete` event;
- an action that is unanswered when the connection drops is failed, never silently re-sent
  (an Originate must not ring a caller twice) unless the caller asked for
  `resend_on_reconnect=True`;
- a watchdog sends Ping every `ping_interval_s` and declares the connection dead when no
  answer comes within `pong_timeout_s` (panoramisk's keepalive never checks the answer, so a
  half-open TCP connection went unnoticed);
- reconnection is unlimited with capped, jittered exponential backoff, and `on_connect` /
  `on_disconnect` hooks (the listener reconciles live calls with CoreShowChannels on connect).

The secret is sent in the Login action only and never logged.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import itertools
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from panoramisk.ami_protocol import AMIProtocol

from contactcenter.ami.events import Message
from contactcenter.ami.protocol import (MAX_FRAME_BYTES, STATUS_OK, STATUS_UNPARSED, Frame, FrameSplitter,
                                        ParseFilter, format_action)
from contactcenter.config import AmiTarget

log = logging.getLogger(__name__)

OnMessages = Callable[[list[Frame], int], Any]
OnConnect = Callable[[int], Any]
OnDisconnect = Callable[[int, str], Any]


class AmiError(Exception):
    """Base class of AMI link errors."""


class AmiAuthError(AmiError):
    """Asterisk refused the login (wrong username or secret, or not allowed from here)."""


class AmiNotConnected(AmiError):
    """No logged-in connection to send the action on."""


class AmiConnectionLost(AmiError):
    """The connection dropped (or the link closed) before the action was answered."""


class AmiActionTimeout(AmiError, TimeoutError):
    """No complete answer to the action within its timeout."""


class AmiActionError(AmiError):
    """Asterisk answered the action with `Response: Error`."""

    def __init__(self, action: str, response: Message) -> None:
        self.action = action
        self.response = response
        self.message = response.get("Message") or ""
        super().__init__(f"AMI {action} failed: {self.message or 'Response: Error'}")


@dataclass
class _Pending:
    action_id: str
    name: str
    data: bytes
    future: asyncio.Future
    resend: bool
    listing: bool = False
    sent_on: int | None = None  # connection number it was written on
    messages: list[Frame] = field(default_factory=list)


def backoff_delay(attempt: int, initial_s: float, max_s: float, rnd: float) -> float:
    """Delay before reconnect attempt `attempt` (0-based): doubling from `initial_s`, capped
    at `max_s`, scaled by a jitter factor between 0.5 and 1 (`rnd` in [0, 1))."""
    base = min(max_s, initial_s * (2 ** min(attempt, 30)))
    return base * (0.5 + 0.5 * rnd)


class _LinkProtocol(AMIProtocol):
    """panoramisk's protocol, fed through our byte splitter and reporting to the link."""

    def __init__(self, link: "AmiLink", max_frame_bytes: int, parse_filter: ParseFilter | None = None) -> None:
        self._link = link
        self._max_frame_bytes = max_frame_bytes
        self._parse_filter = parse_filter
        self.connection_no = 0
        self.lost: asyncio.Future | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        # numbered here: the greeting can arrive before create_connection() returns
        self._link.connection_no += 1
        self.connection_no = self._link.connection_no
        self.splitter = FrameSplitter(self._max_frame_bytes, self._parse_filter)
        loop = asyncio.get_running_loop()
        self._loop_time = loop.time
        self.last_received = loop.time()
        self.lost = loop.create_future()

    def data_received(self, data: bytes) -> None:  # bytes, never decoded per chunk
        self.last_received = self._loop_time()
        self._link._data_received(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        reason = f"connection lost: {exc}" if exc else "connection closed by Asterisk"
        self.declare_lost(reason)

    def declare_lost(self, reason: str) -> None:
        if self.lost is not None and not self.lost.done():
            self.lost.set_result(reason)
            # fail what waits for an answer now, not when someone next looks
            self._link._connection_ended(self.connection_no, reason)

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()

    def abort(self) -> None:
        self.closed = True
        self.transport.abort()


class AmiLink:
    """A self-healing, logged-in AMI connection.

    >>> link = AmiLink(settings.ami, on_messages=listener.handle)
    >>> await link.start()                        # returns once logged in
    >>> replies = await link.send_action({"Action": "CoreShowChannels"})
    >>> await link.close()                        # Logoff, then close

    `on_messages(frames, connection_no)` is called synchronously, once per TCP read, with the
    frames in arrival order (banner, responses, events, and bad frames with their status);
    it must not block for long. `on_connect(connection_no)` runs after each successful login,
    `on_disconnect(connection_no, reason)` after each connection ends; both may be plain
    functions or coroutine functions.
    """

    def __init__(self, target: AmiTarget, on_messages: OnMessages, *,
                 on_connect: OnConnect | None = None, on_disconnect: OnDisconnect | None = None,
                 events: str = "on", ping_interval_s: float = 20.0, pong_timeout_s: float = 10.0,
                 connect_timeout_s: float = 10.0, login_timeout_s: float = 10.0,
                 backoff_initial_s: float = 0.5, backoff_max_s: float = 30.0,
                 max_frame_bytes: int = MAX_FRAME_BYTES, parse_filter: ParseFilter | None = None,
                 rng: Callable[[], float] = random.random) -> None:
        self.target = target
        self.on_messages = on_messages
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.events = events
        self.ping_interval_s = ping_interval_s
        self.pong_timeout_s = pong_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.login_timeout_s = login_timeout_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.max_frame_bytes = max_frame_bytes
        self.parse_filter = parse_filter
        self._rng = rng
        self.connection_no = 0  # increases with every TCP connection made
        self.banner: str | None = None
        self._proto: _LinkProtocol | None = None
        self._logged_in = False
        self._closing = False
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._supervisor: asyncio.Task | None = None
        self._first_login: asyncio.Future | None = None
        self._tasks: set[asyncio.Task] = set()

    # ----------------------------------------------------------------- lifecycle
    @property
    def connected(self) -> bool:
        """True while a connection is up and logged in."""
        return self._logged_in and self._proto is not None

    async def start(self) -> None:
        """Start the link and return once logged in for the first time. Raises AmiAuthError
        (and stops) if Asterisk refuses the login; keeps retrying while it is unreachable."""
        if self._supervisor is not None:
            raise RuntimeError("AmiLink already started")
        loop = asyncio.get_running_loop()
        self._first_login = loop.create_future()
        self._supervisor = loop.create_task(self._supervise(), name="ami-link")
        self._supervisor.add_done_callback(self._supervisor_done)
        await asyncio.shield(self._first_login)

    def _supervisor_done(self, task: asyncio.Task) -> None:
        if self._first_login is not None and not self._first_login.done():
            self._first_login.set_exception(AmiConnectionLost("AMI link stopped before logging in"))

    async def wait_closed(self) -> None:
        """Wait until the link has stopped (after `close()`, or a refused first login)."""
        if self._supervisor is not None:
            await asyncio.gather(self._supervisor, return_exceptions=True)

    async def close(self) -> None:
        """Log off cleanly (Logoff, waiting briefly for Goodbye) and stop reconnecting."""
        self._closing = True
        proto = self._proto
        if proto is not None and self._logged_in:
            try:
                await self._request(proto, {"Action": "Logoff"}, timeout=2.0, internal=True)
            except (AmiError, TimeoutError):
                pass
            proto.close()
            proto.declare_lost("logged off")
        elif proto is not None:
            proto.close()
            proto.declare_lost("closed")
        else:
            if self._supervisor is not None:
                self._supervisor.cancel()  # it is waiting to reconnect: nothing to log off
        if self._supervisor is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._supervisor), 5.0)
            except TimeoutError:
                self._supervisor.cancel()
            except asyncio.CancelledError:
                if not self._supervisor.cancelled():
                    raise
            except Exception:  # noqa: BLE001 - the supervisor reported its own failure
                pass
        self._fail_all("link closed")
        for task in list(self._tasks):
            task.cancel()

    async def _supervise(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                logged_in = await self._run_connection()
                attempt = 0 if logged_in else attempt + 1
            except AmiAuthError as exc:
                if self._first_login is not None and not self._first_login.done():
                    self._first_login.set_exception(exc)
                    self._closing = True
                    return
                log.error("AMI %s; will retry", exc)
                attempt += 1
            except (OSError, TimeoutError, AmiError) as exc:
                log.warning("AMI cannot connect to %s:%s: %s", self.target.host, self.target.port,
                            exc or type(exc).__name__)
                attempt += 1
            except Exception:  # noqa: BLE001 - never let the link die silently
                log.exception("AMI link: unexpected error; reconnecting")
                attempt += 1
            if self._closing:
                break
            delay = backoff_delay(attempt, self.backoff_initial_s, self.backoff_max_s, self._rng())
            log.info("AMI reconnecting in %.2f s", delay)
            await asyncio.sleep(delay)

    async def _run_connection(self) -> bool:
        """One TCP connection from connect to loss; True if it got logged in."""
        loop = asyncio.get_running_loop()
        _, proto = await asyncio.wait_for(
            loop.create_connection(lambda: _LinkProtocol(self, self.max_frame_bytes, self.parse_filter),
                                   self.target.host, self.target.port),
            self.connect_timeout_s)
        conn = proto.connection_no
        self._proto = proto
        watchdog: asyncio.Task | None = None
        logged_in = False
        reason = "closed"
        try:
            log.info("AMI connection %d to %s:%s: logging in as %s", conn, self.target.host,
                     self.target.port, self.target.username)
            try:
                await self._request(proto, {"Action": "Login", "Username": self.target.username,
                                            "Secret": self.target.secret, "Events": self.events},
                                    timeout=self.login_timeout_s, internal=True)
            except AmiActionError as exc:
                raise AmiAuthError(f"login refused for user {self.target.username!r} at "
                                   f"{self.target.host}:{self.target.port}: {exc.message}") from None
            self._logged_in = logged_in = True
            log.info("AMI connection %d logged in", conn)
            if self._first_login is not None and not self._first_login.done():
                self._first_login.set_result(None)
            self._resend_waiting(proto)
            self._call_hook(self.on_connect, conn)
            watchdog = loop.create_task(self._watchdog(proto), name=f"ami-watchdog-{conn}")
            reason = await proto.lost
            if self._closing:
                reason = "logged off"
        except BaseException as exc:
            reason = proto.lost.result() if proto.lost.done() else f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self._logged_in = False
            self._proto = None
            if watchdog is not None:
                watchdog.cancel()
            proto.abort()
            rest = proto.splitter.close()
            if rest:
                self._deliver(proto, rest)
            self._connection_ended(conn, reason)
            if logged_in:
                log.log(logging.INFO if self._closing else logging.WARNING,
                        "AMI connection %d ended: %s", conn, reason)
                self._call_hook(self.on_disconnect, conn, reason)
        return logged_in

    async def _watchdog(self, proto: _LinkProtocol) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.ping_interval_s)
            sent = loop.time()
            try:
                await self._request(proto, {"Action": "Ping"}, timeout=self.pong_timeout_s, internal=True)
            except AmiActionTimeout:
                if proto.last_received > sent:
                    # bytes keep arriving, the Pong is just queued behind a burst: not half-open
                    log.info("AMI connection %d: Pong late, but data is flowing", proto.connection_no)
                    continue
                reason = f"no answer to Ping within {self.pong_timeout_s:g} s (connection presumed dead)"
                log.warning("AMI connection %d: %s", proto.connection_no, reason)
                proto.declare_lost(reason)
                proto.abort()
                return
            except AmiError:
                return

    def _call_hook(self, hook: Callable | None, *args: Any) -> None:
        if hook is None:
            return
        try:
            result = hook(*args)
        except Exception:  # noqa: BLE001 - a hook's bug must not stop the link
            log.exception("AMI hook %s failed", getattr(hook, "__name__", hook))
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._hook_done)

    def _hook_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("AMI hook failed: %r", task.exception())

    # ----------------------------------------------------------------- receiving
    def _data_received(self, proto: _LinkProtocol, data: bytes) -> None:
        frames = proto.splitter.feed(data)
        if frames:
            self._deliver(proto, frames)

    def _deliver(self, proto: _LinkProtocol, frames: list[Frame]) -> None:
        conn = proto.connection_no
        now = dt.datetime.now(dt.timezone.utc)
        for f in frames:
            f.connection = conn
            f.received_at = now
            if f.status != STATUS_OK and f.status != STATUS_UNPARSED:
                log.warning("AMI connection %d: %s frame (event %s): %s", conn, f.status,
                            f.event_name, f.error)
            elif f.kind == "banner":
                self.banner = f.banner
        try:
            self.on_messages(frames, conn)
        except Exception:  # noqa: BLE001 - keep the link up; the listener logs its own errors
            log.exception("AMI on_messages failed on connection %d", conn)
        pending = self._pending
        if pending:
            for f in frames:
                aid = f.fields.get("ActionID")
                if aid is not None and aid in pending:
                    self._route(pending[aid], f)

    def _route(self, p: _Pending, f: Frame) -> None:
        fields = f.fields
        response = fields.get("Response")
        if response is not None:
            if response == "Error":
                self._finish(p, error=AmiActionError(p.name, f))
            elif (fields.get("EventList", "").lower() == "start"
                  or "will follow" in fields.get("Message", "")):
                # a list action (CoreShowChannels, QueueStatus, Status, ...): events follow
                p.listing = True
                p.messages.append(f)
            else:
                p.messages.append(f)
                self._finish(p)
        elif p.messages:
            p.messages.append(f)
            name = fields.get("Event", "")
            if name.endswith("Complete") or fields.get("EventList", "").lower() == "complete":
                self._finish(p)

    def _finish(self, p: _Pending, error: BaseException | None = None) -> None:
        self._pending.pop(p.action_id, None)
        if p.future.done():
            return
        if error is not None:
            p.future.set_exception(error)
        else:
            p.future.set_result(list(p.messages))

    def _connection_ended(self, conn: int, reason: str) -> None:
        """Fail what was sent on this connection and not answered (never re-send it), except
        actions sent with resend_on_reconnect=True, which wait for the next login."""
        for p in list(self._pending.values()):
            if p.sent_on != conn:
                continue
            if p.resend and not self._closing:
                p.sent_on = None
                p.messages.clear()
                log.info("AMI %s %s will be re-sent after reconnect", p.name, p.action_id)
            else:
                self._finish(p, error=AmiConnectionLost(
                    f"AMI connection {conn} ended ({reason}) before {p.name} {p.action_id} was "
                    f"answered; not re-sent"))

    def _fail_all(self, reason: str) -> None:
        for p in list(self._pending.values()):
            self._finish(p, error=AmiConnectionLost(f"{reason}: {p.name} {p.action_id} not answered"))

    def _resend_waiting(self, proto: _LinkProtocol) -> None:
        for p in list(self._pending.values()):
            if p.sent_on is None:
                proto.write(p.data)
                p.sent_on = proto.connection_no

    # ----------------------------------------------------------------- sending
    async def send_action(self, action: dict, *, resend_on_reconnect: bool = False,
                          timeout: float = 10.0) -> list[Message]:
        """Send an action and return its answer: `[response]`, or for a list action
        `[response, event, …, <Name>Complete event]`.

        Keys and values are checked first (no CR, LF or NUL; ValueError before anything is
        written). An `ActionID` is added when missing. Raises AmiActionError on
        `Response: Error`, AmiActionTimeout after `timeout` seconds, AmiNotConnected when no
        connection is logged in, AmiConnectionLost when the connection drops before the
        answer (the action is then *not* re-sent unless `resend_on_reconnect=True`, in which
        case it also waits for a connection instead of raising AmiNotConnected).
        """
        proto = self._proto if self._logged_in else None
        if proto is None and not resend_on_reconnect:
            raise AmiNotConnected(f"AMI not connected: cannot send {action.get('Action')!r}")
        return await self._request(proto, action, timeout=timeout, resend=resend_on_reconnect)

    async def _request(self, proto: _LinkProtocol | None, action: dict, *, timeout: float,
                       resend: bool = False, internal: bool = False) -> list[Message]:
        action = dict(action)
        name = action.get("Action")
        if not isinstance(name, str) or not name:
            raise ValueError("an AMI action needs an 'Action' key")
        action_id = action.get("ActionID")
        if action_id is None:
            action_id = f"cc-{next(self._ids)}"
            action = {"Action": name, "ActionID": action_id,
                      **{k: v for k, v in action.items() if k != "Action"}}
        action_id = str(action_id)
        data = format_action(action)  # raises ValueError on CR/LF/NUL before anything is sent
        if action_id in self._pending:
            raise ValueError(f"ActionID {action_id!r} is already waiting for an answer")
        future = asyncio.get_running_loop().create_future()
        p = _Pending(action_id=action_id, name=name, data=data, future=future, resend=resend)
        self._pending[action_id] = p
        if proto is not None and not proto.closed:
            proto.write(data)
            p.sent_on = proto.connection_no
        elif not resend:
            self._pending.pop(action_id, None)
            raise AmiNotConnected(f"AMI not connected: cannot send {name!r}")
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            self._pending.pop(action_id, None)
            if future.done() and not future.cancelled():
                return future.result()
            future.cancel()
            raise AmiActionTimeout(f"no complete answer to AMI {name} {action_id} within {timeout:g} s") from None
        except asyncio.CancelledError:
            self._pending.pop(action_id, None)
            raise
