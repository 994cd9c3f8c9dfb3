"""Caller IDs in every form to one canonical number (contactcenter/numbers.py)."""
from __future__ import annotations

import json

import pytest

from contactcenter.config import Settings
from contactcenter.numbers import NumberReading, mask, read_number
from tests.conftest import run_cli


@pytest.mark.parametrize("raw, canonical", [
    ("13900001234", "13900001234"),
    ("+8613900001234", "13900001234"),
    ("008613900001234", "13900001234"),
    ("8613900001234", "13900001234"),
    ("0086 139 0000 1234", "13900001234"),
    ("139-0000-1234", "13900001234"),
    ("013900001234", "13900001234"),  # a trunk prefix 0 in front of a mobile
    ("06358201102", "06358201102"),
    ("0635 820 1102", "06358201102"),
    ("+86 635 8201102", "06358201102"),
    ("86635820 1102", "06358201102"),
    ("00866358201102", "06358201102"),
    ("8201102", "06358201102"),  # local 7-digit number of the hotline's own area
    ("01012345678", "01012345678"),  # Beijing landline, 8-digit local part
    ("sip:13900001234@gateway", "13900001234"),
    ("+14155550100", "0014155550100"),  # foreign: the international form as dialled from China
    ("１３９００００１２３４", "13900001234"),  # full-width digits, as a Chinese input method types them
    ("＋８６ ６３５ ８２０１１０２", "06358201102"),
])
def test_canonical_forms(raw, canonical):
    reading = read_number(raw, "0635")
    assert (reading.canonical, reading.dial, reading.valid, reading.reason) == (canonical, canonical, True, None)


@pytest.mark.parametrize("raw, reason", [
    (None, "withheld"), ("", "withheld"), ("anonymous", "withheld"), ("Anonymous", "withheld"),
    ("<unknown>", "withheld"), ("Restricted", "withheld"), ("PRIVATE", "withheld"), ("0000", "withheld"),
    ("12345", "too_short"), ("95588", "too_short"), ("110", "too_short"),
    ("1234567", "not_a_valid_number"),  # 7 digits starting with 1: not a local number
    ("82011023", "not_a_valid_number"),  # 0635 has 7-digit local numbers
    ("139000012345678", "not_a_valid_number"),
    ("1390000abcd", "not_a_number"), ("13900001234\r\nAction: Hangup", "not_a_number"),
    ("139;0000", "not_a_number"),
])
def test_unusable(raw, reason):
    assert read_number(raw, "0635") == NumberReading(raw, None, None, False, reason)


def test_local_number_uses_configured_area_code():
    assert read_number("62345678", "010").canonical == "01062345678"
    assert read_number("8201102", Settings(area_code="0635")).canonical == "06358201102"


def test_distinct_numbers_sharing_a_suffix_stay_distinct():
    numbers = {read_number(raw, "0635").canonical for raw in ("06358201102", "01058201102", "8201102", "13958201102")}
    assert numbers == {"06358201102", "01058201102", "13958201102"}


def test_dial_prefix_from_settings():
    reading = read_number("+8613900001234", Settings(dial_prefix="9"))
    assert (reading.canonical, reading.dial) == ("13900001234", "913900001234")


def test_mask():
    assert mask("13900001234") == "139****1234"
    assert mask("06358201102") == "063****1102"
    assert mask(None) == "-"


def test_number_command(tmp_path):
    proc = run_cli("number", "0086 139 0000 1234", "anonymous", "8201102", "--db", f"sqlite:///{tmp_path}/x.db",
                   env={"CONTACTCENTER_DIAL_PREFIX": "0"})
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines == [
        {"input": "0086 139 0000 1234", "canonical": "13900001234", "dial": "013900001234", "valid": True, "reason": None},
        {"input": "anonymous", "canonical": None, "dial": None, "valid": False, "reason": "withheld"},
        {"input": "8201102", "canonical": "06358201102", "dial": "006358201102", "valid": True, "reason": None},
    ]
