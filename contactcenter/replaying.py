"""`contactcenter replay`: a recorded AMI stream served from a loopback AMI server into the
normal listener pipeline (journal → correlator → store → callback intake)."""
from __future__ import annotations

import logging
from pathlib import Path

from contactcenter.ami.journal import Journal
from contactcenter.ami.replay import run_replay
from contactcenter.config import Settings
from contactcenter.db import ensure_schema
from contactcenter.listener import CallLogger

log = logging.getLogger(__name__)


async def replay_capture(capture: str | Path, settings: Settings, *, speed: float | None = None,
                         chunk_size: int | None = None, drop_at: int | None = None) -> dict:
    """Replay one capture into the database named by `settings.db_url`; returns a summary."""
    from contactcenter.cli import CliError

    path = Path(capture)
    if not path.exists():
        raise CliError(f"no such capture: {capture}")
    ensure_schema(settings.db_url)
    journal = Journal(settings.db_url, source=f"replay:{path.name}")
    logger = CallLogger(settings.db_url, settings, journal=journal)
    connections = set()

    def on_frames(frames, connection_no):
        connections.add(connection_no)
        logger.on_frames(frames, connection_no)

    # no reconcile on reconnect here: the replay server resumes the stream exactly where it
    # was cut, so every call still open is still up
    await run_replay(path, on_frames, chunk_size=chunk_size, drop_at=drop_at, speed="max" if speed is None else speed,
                     parse_filter=logger.parse_filter)
    if not logger.flush():
        raise CliError(f"the database refused the replay's writes ({journal.last_error or 'unavailable'}); "
                       f"{journal.held} frames were not stored: fix the database and run the replay again")
    return {"messages": logger.messages_seen, "connections": len(connections),
            "calls_closed": logger.calls_closed, "calls_open": len(logger.correlator.open_call_ids())}
