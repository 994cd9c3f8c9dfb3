"""`contactcenter listen`: the live AMI listener and the callback dispatcher on one asyncio loop.

Start-up order matters for "lose nothing, count nothing twice":
1. warm up: the last hours of this link's journal are fed through the correlator again, so calls
   that were in progress when the previous process stopped are known (stored results are
   upserts, so re-feeding changes nothing that was already written);
2. log in; on every (re)connect ask Asterisk for its live channels and close the calls whose
   channels ended while we were away; the dispatcher reconciles its in-flight dials the same way
   before it dials anything;
3. every frame is journaled before it is correlated; a housekeeping task retries held writes
   during a database outage and sweeps calls with no sign of life for hours.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Awaitable, Callable

from sqlalchemy import select

from contactcenter.ami.connection import AmiLink
from contactcenter.ami.journal import Journal, frame_from_row
from contactcenter.ami.models import JournalEntry
from contactcenter.config import Settings
from contactcenter.db import DatabaseUnavailable, ensure_schema, session_scope
from contactcenter.listener import CallLogger

log = logging.getLogger(__name__)

WARM_UP_HOURS = 6


def link_source(settings: Settings) -> str:
    ami = settings.ami
    return f"ami://{ami.username}@{ami.host}:{ami.port}"


def warm_up(logger: CallLogger, source: str, now: dt.datetime, hours: float = WARM_UP_HOURS) -> int:
    """Feed the journal's recent frames of `source` through the correlator again; returns how
    many frames were re-read. Calls already stored are upserted unchanged."""
    since = now - dt.timedelta(hours=hours)
    count = 0
    try:
        with session_scope(logger.db_url) as session:
            rows = session.execute(
                select(JournalEntry.id, JournalEntry.received_at, JournalEntry.connection, JournalEntry.raw,
                       JournalEntry.status, JournalEntry.error)
                .where(JournalEntry.source == source, JournalEntry.received_at >= since)
                .order_by(JournalEntry.id)).all()
    except DatabaseUnavailable as exc:
        log.warning("warm-up skipped, database unavailable: %s", exc)
        return 0
    batch = []
    for journal_id, received_at, connection, raw, status, error in rows:
        frame = frame_from_row(journal_id, received_at, connection, raw, status, error)
        if frame.usable:
            batch.append(frame)
        if len(batch) >= 500:
            logger.on_messages(batch, connection)
            count += len(batch)
            batch = []
    if batch:
        logger.on_messages(batch, batch[-1].connection)
        count += len(batch)
    if count:
        log.info("warm-up: re-read %d journaled frames; %d call(s) still open", count,
                 len(logger.correlator.open_call_ids()))
    return count


async def run_listener(settings: Settings, *, stop: asyncio.Event | None = None,
                       with_dispatcher: bool = True,
                       ready: Callable[[CallLogger, AmiLink], Awaitable[None] | None] | None = None,
                       clock: Callable[[], dt.datetime] | None = None) -> None:
    """Run until `stop` is set (or forever); closes cleanly on cancellation. `clock` (aware
    UTC datetimes) replaces the wall clock for the dispatcher and the stored times: the demo
    passes the simulator's, so calling hours follow the simulated day."""
    url = settings.db_url
    ensure_schema(url)
    source = link_source(settings)
    journal = Journal(url, source=source)
    if clock is None:
        logger = CallLogger(url, settings, journal=journal)
    else:
        logger = CallLogger(url, settings, journal=journal, clock=lambda: clock().timestamp())
    warm_up(logger, source, dt.datetime.now(dt.timezone.utc))
    dispatcher = None
    link: AmiLink

    async def on_connect(connection_no: int) -> None:
        # the pipeline applies the answer itself, in stream order (CallLogger.reconcile_action)
        replies = await link.send_action(logger.reconcile_action(connection_no), timeout=30)
        channels = [m for m in replies if m.name == "CoreShowChannel"]
        if dispatcher is not None:
            await dispatcher.on_reconnect(channels)
        log.info("AMI connection %d up: %d live channel(s), %d open call(s)", connection_no, len(channels),
                 len(logger.correlator.open_call_ids()))

    def on_disconnect(connection_no: int, reason: str) -> None:
        # our own Logoff at shutdown is no loss
        log.log(logging.INFO if reason == "logged off" else logging.WARNING,
                "AMI connection %d lost: %s", connection_no, reason)

    link = AmiLink(settings.ami, on_messages=logger.on_frames, on_connect=on_connect, on_disconnect=on_disconnect,
                   parse_filter=logger.parse_filter)
    if with_dispatcher:
        from contactcenter.redial.dispatcher import CallbackDispatcher

        dispatcher = (CallbackDispatcher(url, settings, link) if clock is None
                      else CallbackDispatcher(url, settings, link, clock=clock))
        logger.listeners.append(dispatcher.on_message)
    housekeeping = asyncio.create_task(_housekeeping(logger), name="listener-housekeeping")
    try:
        if stop is not None:
            # while Asterisk is unreachable the link retries for ever: a stop must still win
            starting = asyncio.ensure_future(link.start())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                starting.cancel()
                await asyncio.gather(starting, return_exceptions=True)
                log.info("stopped before the AMI login succeeded")
                return
            stopping.cancel()
            starting.result()  # a refused login raises here
        else:
            await link.start()
        if dispatcher is not None:
            await dispatcher.start()
        if ready is not None:
            result = ready(logger, link)
            if asyncio.iscoroutine(result):
                await result
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        housekeeping.cancel()
        if dispatcher is not None:
            await dispatcher.stop()
        await link.close()
        logger.flush()


async def _housekeeping(logger: CallLogger, flush_every_s: float = 2.0, sweep_every_s: float = 600.0) -> None:
    since_sweep = 0.0
    while True:
        await asyncio.sleep(flush_every_s)
        since_sweep += flush_every_s
        logger.flush()
        if since_sweep >= sweep_every_s:
            since_sweep = 0.0
            logger.sweep_stale()
