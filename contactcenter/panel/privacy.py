"""Callers' numbers are personal data: shown masked unless a role may see them (audited)."""
from __future__ import annotations

import re

_NON_DIGIT = re.compile(r"\D")
# digits possibly written with spaces or dashes: 0635-8123456, 139 0000 1234
_NUMBERISH = re.compile(r"\+?\d[\d \-]{5,}\d")


def mask_number(number: str | None) -> str:
    """`13900001234` -> `139****1234`; short numbers keep only their ends; None -> `未知`."""
    if not number:
        return "未知"
    digits = _NON_DIGIT.sub("", number)
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:] if len(digits) > 7 else digits[:3] + "****"
    if len(digits) >= 3:
        return digits[0] + "*" * (len(digits) - 2) + digits[-1]
    return "*" * len(digits)


def mask_text(text: str | None) -> str:
    """Mask every run of 7+ digits inside free text (work-order bodies shown to units)."""
    if not text:
        return text or ""
    def _mask(m: re.Match) -> str:
        return mask_number(m.group(0)) if len(_NON_DIGIT.sub("", m.group(0))) >= 7 else m.group(0)

    return _NUMBERISH.sub(_mask, text)
