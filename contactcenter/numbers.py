"""How the product reads a caller ID: one canonical number per line, whatever form it came in.

Pure code (no I/O). `read_number` turns the raw `CallerIDNum` of a channel into a
`NumberReading`: the canonical national form of the `number` contract in shared/DESIGN.md
(mobile `1xxxxxxxxxx`, landline with its area code `0635xxxxxxx`, digits only), the string the
trunk would dial, and whether it can be called back at all (with a reason when not).

Numbers are compared only by their whole canonical form: two numbers that share a suffix
(`8201102` in another city, a mobile that ends the same way) are never merged.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

# what Asterisk and carriers put in CallerIDNum when the caller withholds the number
WITHHELD = frozenset({
    "", "anonymous", "<unknown>", "unknown", "restricted", "private", "withheld", "unavailable",
    "<unavailable>", "anonymous.invalid", "s", "0", "presentation restricted",
})

# characters a caller ID may be written with around its digits
_DECOR = re.compile(r"[\s\-().]")
_SIP_URI = re.compile(r"^(?:sips?|tel):\+?([0-9]+)(?:@.*)?$", re.IGNORECASE)
_SHAPE = re.compile(r"^\+?[0-9]+$")

DEFAULT_AREA_CODE = "0635"


@dataclass(frozen=True, slots=True)
class NumberReading:
    """What a caller ID means to the hotline."""

    input: str | None
    canonical: str | None  # national digits (landlines with their 0 area code); None when unusable
    dial: str | None  # what the trunk is sent (dial prefix + canonical); None when not diallable
    valid: bool
    reason: str | None  # why not valid: withheld, not_a_number, too_short, not_a_valid_number, ...

    def to_contract(self) -> dict:
        """The JSON object of `contactcenter number`."""
        return asdict(self)


def read_number(raw: str | None, settings_or_area_code=DEFAULT_AREA_CODE, dial_prefix: str | None = None) -> NumberReading:
    """Read one caller ID.

    `settings_or_area_code` is a `Settings` (its `area_code` and `dial_prefix` are used) or an
    area code string such as "0635" (then `dial_prefix` may be given, default none). Cached:
    the correlator calls this for every call.
    """
    if isinstance(settings_or_area_code, str) or settings_or_area_code is None:
        area_code = settings_or_area_code or DEFAULT_AREA_CODE
        prefix = dial_prefix or ""
    else:
        area_code = getattr(settings_or_area_code, "area_code", None) or DEFAULT_AREA_CODE
        prefix = dial_prefix if dial_prefix is not None else (getattr(settings_or_area_code, "dial_prefix", "") or "")
    return _read_cached(raw, area_code, prefix)


def canonical_number(raw: str | None, area_code: str = DEFAULT_AREA_CODE) -> str | None:
    """Shortcut for the correlator: the canonical form or None."""
    return _read_cached(raw, area_code or DEFAULT_AREA_CODE, "").canonical


def mask(number: str | None) -> str:
    """A number as logs may show it: `139****1234` (personal data stays out of logs)."""
    if not number:
        return "-"
    if len(number) <= 4:
        return "*" * len(number)
    if len(number) <= 7:
        return number[:1] + "*" * (len(number) - 3) + number[-2:]
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


@lru_cache(maxsize=65536)
def _read_cached(raw: str | None, area_code: str, dial_prefix: str) -> NumberReading:
    canonical, reason = _canonical(raw, area_code)
    if canonical is None:
        return NumberReading(raw, None, None, False, reason)
    return NumberReading(raw, canonical, f"{dial_prefix}{canonical}", True, None)


def _canonical(raw: str | None, area_code: str) -> tuple[str | None, str | None]:
    if raw is None:
        return None, "withheld"
    # full-width digits and signs (１３９…, ＋８６) as Chinese input methods type them
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.lower() in WITHHELD:
        return None, "withheld"
    uri = _SIP_URI.match(text)
    if uri:
        text = uri.group(1)
    text = _DECOR.sub("", text)
    if not _SHAPE.match(text):
        return None, "not_a_number"
    plus = text.startswith("+")
    digits = text.lstrip("+")
    if set(digits) == {"0"}:
        return None, "withheld"

    if plus:
        candidate = "+" + digits
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    elif digits.startswith("86") and len(digits) in (12, 13):
        # 86 + mobile (13 digits) or 86 + area code without 0 + local number (12 digits)
        candidate = "+" + digits
    elif len(digits) in (7, 8) and not digits.startswith(("0", "1")):
        # a local number of the hotline's own area: complete it with the area code
        candidate = area_code + digits
    elif len(digits) < 7:
        return None, "too_short"
    else:
        candidate = digits
    try:
        parsed = phonenumbers.parse(candidate, "CN")
    except NumberParseException:
        return None, "not_a_number"
    if not phonenumbers.is_valid_number(parsed):
        if len(str(parsed.national_number)) < 7:
            return None, "too_short"
        return None, "not_a_valid_number"
    if parsed.country_code != 86:
        # foreign number: the international form as dialled from China
        return f"00{parsed.country_code}{parsed.national_number}", None
    if phonenumbers.number_type(parsed) in (PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST):
        return None, "service_number"
    national = re.sub(r"\D", "", phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL))
    return national, None


def readings_as_json_lines(raws: list[str], settings) -> list[str]:
    """One JSON line per caller ID, for `contactcenter number`."""
    return [json.dumps(read_number(raw, settings).to_contract(), ensure_ascii=False) for raw in raws]
