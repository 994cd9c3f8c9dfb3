"""`contactcenter-agi`: the hotline's AGI scripts, run by Asterisk on a channel.

    AGI(contactcenter-agi,lookup)                      inbound call: who is calling?
    AGI(contactcenter-agi,survey,${WORK_ORDER_ID})     end of a result call: press 1, 2 or 3

`lookup` sets HOTLINE_OPEN_ORDERS (count), HOTLINE_CALLBACK_PENDING (0/1),
HOTLINE_REPEAT_CALLER (0/1), HOTLINE_QUEUE_PRIO (0-10) and HOTLINE_LOOKUP (ok, withheld or
failed). `survey` plays `hotline-survey`, reads one digit (one retry), stores it on the work
order and sets HOTLINE_SURVEY (1, 2, 3, none or error). A script never fails the call: on any
error the variables keep safe defaults and the dialplan continues.

The database comes from the usual settings (CONTACTCENTER_DB / CONTACTCENTER_CONFIG). pyst2's
own debug output (which would print the caller ID in Asterisk's log) is discarded.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import re
import sys

from contactcenter.agi.policy import caller_from_agi, queue_priority

log = logging.getLogger("contactcenter.agi")

SURVEY_PROMPT = "hotline-survey"
SURVEY_THANKS = "hotline-survey-thanks"
SURVEY_RETRY = "hotline-survey-retry"
SURVEY_TIMEOUT_MS = 6000


def _agi(stdin, stdout):
    from asterisk.agi import AGI

    return AGI(stdin=stdin, stdout=stdout, stderr=io.StringIO())


def _settings():
    from contactcenter.config import load_settings

    return load_settings()


def lookup(agi, now: dt.datetime) -> dict:
    """Set the caller's variables on the channel; returns what was set."""
    values = {"HOTLINE_OPEN_ORDERS": "0", "HOTLINE_CALLBACK_PENDING": "0", "HOTLINE_REPEAT_CALLER": "0",
              "HOTLINE_QUEUE_PRIO": "0", "HOTLINE_LOOKUP": "withheld"}
    try:
        settings = _settings()
        number = caller_from_agi(agi.env.get("agi_callerid"), settings.area_code)
        if number is not None:
            from contactcenter.db import session_scope
            from contactcenter.tickets.service import caller_summary

            repeat_days = int(settings.extra.get("repeat_caller_days", 7))
            with session_scope(settings.db_url) as session:
                summary = caller_summary(session, number, now, repeat_days=repeat_days)
            values.update({
                "HOTLINE_OPEN_ORDERS": str(summary["open_orders"]),
                "HOTLINE_CALLBACK_PENDING": "1" if summary["callback_pending"] else "0",
                "HOTLINE_REPEAT_CALLER": "1" if summary["repeat_caller"] else "0",
                "HOTLINE_QUEUE_PRIO": str(queue_priority(summary["open_orders"], summary["callback_pending"],
                                                         summary["repeat_caller"])),
                "HOTLINE_LOOKUP": "ok",
            })
    except Exception as exc:  # noqa: BLE001 - the call must go on whatever happened
        log.warning("caller look-up failed: %s", type(exc).__name__)
        values["HOTLINE_LOOKUP"] = "failed"
    for name, value in values.items():
        agi.set_variable(name, value)
    return values


def survey(agi, work_order_id: str, now: dt.datetime) -> str:
    """Ask for 1/2/3, store it on the work order, set HOTLINE_SURVEY; returns its value."""
    if not re.fullmatch(r"[1-9]\d{0,17}", work_order_id or ""):
        agi.verbose("contactcenter-agi survey: work order id missing or malformed", 1)
        agi.set_variable("HOTLINE_SURVEY", "error")
        return "error"
    digit = ""
    for prompt in (SURVEY_PROMPT, SURVEY_RETRY):
        digit = (agi.get_data(prompt, SURVEY_TIMEOUT_MS, 1) or "").strip()
        if digit in ("1", "2", "3"):
            break
    if digit not in ("1", "2", "3"):
        agi.set_variable("HOTLINE_SURVEY", "none")
        return "none"
    result = digit
    try:
        from contactcenter.db import session_scope
        from contactcenter.tickets.service import record_survey

        with session_scope(_settings().db_url) as session:
            record_survey(session, int(work_order_id), digit, now)
    except Exception as exc:  # noqa: BLE001 - say thanks anyway; the agent can ask again
        log.warning("survey for work order %s not stored: %s", work_order_id, exc)
        agi.verbose(f"contactcenter-agi survey: not stored ({type(exc).__name__})", 1)
        result = "error"
    agi.stream_file(SURVEY_THANKS)
    agi.set_variable("HOTLINE_SURVEY", result)
    return result


def main(argv: list[str] | None = None, stdin=None, stdout=None) -> int:
    """Entry point of `contactcenter-agi` (also `python -m contactcenter.agi`)."""
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="contactcenter-agi %(levelname)s: %(message)s")
    if not argv or argv[0] not in ("lookup", "survey"):
        print("usage: contactcenter-agi lookup | survey WORK_ORDER_ID", file=sys.stderr)
        return 2
    agi = _agi(stdin or sys.stdin, stdout or sys.stdout)
    now = dt.datetime.now(dt.timezone.utc)
    if argv[0] == "lookup":
        lookup(agi, now)
    else:
        survey(agi, argv[1] if len(argv) > 1 else "", now)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
