"""Parsing and validating what users type in filter boxes (clear messages, never raw into SQL)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

_SEAT = re.compile(r"^[0-9A-Za-z_\-]{1,16}$")
_DIGITS = re.compile(r"\D")


class InputError(ValueError):
    """Shown to the user as is."""


def parse_local_datetime(value: str | None, tz, *, end_of_day: bool = False) -> dt.datetime | None:
    """`2026-12-03` or `2026-12-03T08:30` (site-local) -> aware UTC; empty -> None.
    A bare date used as an end means the end of that day."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and end_of_day:
            parsed += dt.timedelta(days=1)
        return parsed.replace(tzinfo=tz).astimezone(dt.timezone.utc)
    raise InputError(f"时间格式不正确：{value}（应为 2026-12-03 或 2026-12-03T08:30）")


def parse_number(value: str | None, area_code: str = "0635") -> str | None:
    """A caller number typed in any usual form -> the canonical national form the call
    records hold (contactcenter.numbers), for exact matching; digits as typed when the
    number is not a valid one (so odd stored caller IDs can still be found)."""
    value = unicodedata.normalize("NFKC", value or "").strip()  # full-width ＋８６ from input methods
    if not value:
        return None
    if re.search(r"[^\d\s+\-()]", value):
        raise InputError("号码只能包含数字、空格、+、-、括号")
    from contactcenter.numbers import canonical_number

    canonical = canonical_number(value, area_code)
    if canonical:
        return canonical
    digits = _DIGITS.sub("", value)
    international = False
    if digits.startswith("0086"):
        digits, international = digits[4:], True
    elif value.startswith("+86") or (digits.startswith("86") and len(digits) == 13):
        digits, international = digits[2:], True
    if international and digits and digits[0] not in "01":
        digits = "0" + digits  # +86 635 8123456 -> 06358123456 (national landline form)
    if not 3 <= len(digits) <= 20:
        raise InputError("号码位数不正确")
    return digits


def parse_seat(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not _SEAT.match(value):
        raise InputError("坐席号只能是 1–16 位字母或数字")
    return value


def parse_choice(value: str | None, choices, label: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value not in choices:
        raise InputError(f"未知的{label}：{value}")
    return value


def clean_text(value: str | None, label: str, *, max_len: int, required: bool = False, min_len: int = 0) -> str:
    """Trimmed text with control characters (other than newline/tab) removed; length checked."""
    value = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", (value or "")).strip()
    if required and not value:
        raise InputError(f"请填写{label}")
    if value and len(value) < min_len:
        raise InputError(f"{label}至少 {min_len} 个字")
    if len(value) > max_len:
        raise InputError(f"{label}不能超过 {max_len} 个字（现有 {len(value)} 个）")
    return value
