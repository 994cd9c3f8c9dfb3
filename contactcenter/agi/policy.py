"""Pure rules for the AGI scripts: reading the caller ID and the queue priority."""
from __future__ import annotations

import re

MAX_PRIORITY = 10


def caller_from_agi(callerid: str | None, area_code: str = "0635") -> str | None:
    """Asterisk's `agi_callerid` in national digits-only form, or None when withheld/unusable.

    `+86 139...`/`0086...`/`86...` lose the country code; a 7-8 digit local number gets the
    hotline's area code; anything that is not 5-20 digits afterwards is not a number."""
    if not callerid or callerid.strip().lower() in ("unknown", "anonymous", "private", "restricted"):
        return None
    digits = re.sub(r"[ \-()]", "", callerid.strip(" "))
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit():
        return None
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) in (7, 8) and not digits.startswith("0"):
        digits = area_code + digits
    return digits if 5 <= len(digits) <= 20 else None


def queue_priority(open_orders: int, callback_pending: bool, repeat_caller: bool) -> int:
    """Queue priority for an inbound caller (Asterisk QUEUE_PRIO; higher is answered first).

    A caller we owe a callback comes first (+5: the missed call is being made good), then one
    with an open work order (+3: likely chasing it), then a repeat caller (+2); at most 10."""
    prio = 0
    if callback_pending:
        prio += 5
    if open_orders > 0:
        prio += 3
    if repeat_caller:
        prio += 2
    return min(prio, MAX_PRIORITY)
