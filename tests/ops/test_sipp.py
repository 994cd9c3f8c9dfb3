"""The SIPp scenarios are well-formed and use only SIPp's own keywords, injection fields the
CSV file has, and variables assigned earlier in the same scenario."""
from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SIPP = Path(__file__).resolve().parents[2] / "sipp"
SCENARIOS = sorted(SIPP.glob("*.xml"))
# keywords SIPp substitutes in messages (SIPp 3.7 reference, "Keywords" section)
KEYWORDS = {"service", "remote_ip", "remote_port", "transport", "local_ip", "local_ip_type", "local_port",
            "len", "call_number", "call_id", "cseq", "pid", "branch", "media_ip", "media_ip_type", "media_port",
            "auto_media_port", "peer_tag_param", "last_Via:", "last_From:", "last_To:", "last_Call-ID:",
            "last_CSeq:", "last_Contact:", "last_Record-Route:", "last_Route:", "routes", "next_url",
            "tdmmap", "clock_tick", "timestamp", "sipp_version", "users", "userid"}
ELEMENTS = {"scenario", "send", "recv", "pause", "label", "nop", "action", "ereg", "ResponseTimeRepartition",
            "CallLengthRepartition"}
TOKEN = re.compile(r"\[([^\]\s]+)\]")


def _fields() -> int:
    rows = list(csv.reader((SIPP / "callers.csv").read_text().splitlines()[1:], delimiter=";"))
    return min(len([c for c in row if c != ""]) for row in rows)


def test_all_five_behaviours_are_there():
    assert {p.name for p in SCENARIOS} == {"caller_hangs_up.xml", "caller_stays.xml", "agent_answers.xml",
                                           "agent_busy.xml", "agent_no_answer.xml"}
    assert (SIPP / "callers.csv").read_text().splitlines()[0] == "SEQUENTIAL"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_well_formed_and_defined(path):
    root = ET.parse(path).getroot()
    assert root.tag == "scenario" and root.get("name")
    labels = {el.get("id") for el in root.iter("label")}
    assigned: set[str] = set()
    fields = _fields()
    for el in root.iter():
        assert el.tag in ELEMENTS, f"unknown element {el.tag}"
        if el.get("next"):
            assert el.get("next") in labels, f"jump to undefined label {el.get('next')}"
        if el.tag == "ereg":
            assigned |= {v for v in el.get("assign_to").split(",")}
        if el.tag == "send":
            text = el.text or ""
            assert text.strip().startswith(("INVITE", "ACK", "BYE", "CANCEL", "SIP/2.0"))
            for token in TOKEN.findall(text):
                if token.startswith("$"):
                    assert token[1:] in assigned, f"{token} used before it is assigned"
                elif token.startswith("field"):
                    assert int(token[5:]) < fields, f"{token}: callers.csv has {fields} fields"
                else:
                    assert token in KEYWORDS, f"unknown keyword [{token}]"


def test_uas_answers_in_dialog_and_uac_marks_the_trunk():
    for name in ("caller_hangs_up.xml", "caller_stays.xml"):
        text = (SIPP / name).read_text()
        assert "X-Hotline-Trunk: pstn1" in text            # pjsip.conf identifies the trunk by it
    for name in ("agent_answers.xml", "agent_busy.xml", "agent_no_answer.xml"):
        root = ET.parse(SIPP / name).getroot()
        first = root[0]
        assert first.tag == "recv" and first.get("request") == "INVITE"
    busy = (SIPP / "agent_busy.xml").read_text()
    assert "SIP/2.0 486 Busy Here" in busy


def test_the_ack_of_a_busy_answer_reuses_the_invite_s_transaction():
    # RFC 3261 17.1.1.3: same Via branch as the INVITE, To with the answer's tag; SIPp copies
    # both from the last message received (the 486/503), while [branch] would make a new one
    text = (SIPP / "caller_hangs_up.xml").read_text()
    busy_ack = text[text.index('<label id="busy"/>'):text.index('<label id="end"/>')]
    assert [line.strip() for line in busy_ack.splitlines() if line.strip().startswith(("[last_", "Via:"))] == [
        "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]"]
    # the ACK of the 200 is a new transaction of its own: a new branch there
    answered_ack = text[text.index("ACK sip:"):text.index("<pause/>")]
    assert "branch=[branch]" in answered_ack
