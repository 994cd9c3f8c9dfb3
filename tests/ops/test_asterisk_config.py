"""asterisk-config/ holds together: 60 seats, the queue the simulator models, every context
and label the dialplan or the product refers to, and an AMI user that may do exactly what
the product sends (and read what it consumes) — no more."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from contactcenter.config import Settings
from contactcenter.sim.model import QUEUE_NUMBERS, HotlineModel
from tests.ops.asterisk_conf import read_conf, resolved

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "asterisk-config"
SEATS = [str(n) for n in range(8001, 8061)]

# Manager action -> the write classes that allow it (any one suffices; Asterisk checks
# `writeperm & authority`). Taken from each action's registration in Asterisk 22
# (`manager show command <Action>` prints it): None = no class needed.
ACTION_CLASSES: dict[str, set[str] | None] = {
    "Login": None, "Logoff": None, "Ping": None, "Events": None, "Challenge": None,
    "QueueStatus": None, "QueueSummary": None,
    "Originate": {"originate"},
    "QueueAdd": {"agent"}, "QueueRemove": {"agent"}, "QueuePause": {"agent"},
    "CoreShowChannels": {"system", "reporting"},
    "Status": {"system", "call", "reporting"},
    "Hangup": {"system", "call"},
    "BlindTransfer": {"call"}, "Atxfer": {"call"}, "Setvar": {"call"},
}
# events the product consumes -> the read class they come with (from the recordings' Privilege lines)
EVENT_CLASSES = {"call", "agent", "cdr", "dialplan", "system"}


def sections(name: str):
    return read_conf(CONF / name)


def product_actions() -> set[str]:
    """Every `"Action": "X"` the product's code sends (the simulator's own code excluded)."""
    found = set()
    for path in (ROOT / "contactcenter").rglob("*.py"):
        if path.relative_to(ROOT).parts[:2] == ("contactcenter", "sim"):
            continue
        found |= set(re.findall(r'"Action":\s*"([A-Za-z]+)"', path.read_text(encoding="utf-8")))
    return found


def test_sixty_seat_endpoints_from_templates():
    secs = sections("pjsip.conf")
    endpoints = {s.name: resolved(secs, s) for s in secs if not s.is_template and resolved(secs, s).get("type") == "endpoint"}
    seats = sorted(n for n in endpoints if n != "trunk")
    assert seats == SEATS
    for n in seats:
        ep = endpoints[n]
        assert ep["context"] == "from-agent" and ep["aors"] == n and ep["auth"] == f"{n}-auth"
        assert ep["callerid"] == f'"Seat {n}" <{n}>' and ep["device_state_busy_at"] == "1"
    aors = {s.name for s in secs if resolved(secs, s).get("type") == "aor" and not s.is_template}
    assert set(SEATS) | {"trunk"} <= aors
    assert endpoints["trunk"]["context"] == "from-trunk"
    ident = [resolved(secs, s) for s in secs if resolved(secs, s).get("type") == "identify"]
    assert ident == [{"type": "identify", "endpoint": "trunk", "match_header": "X-Hotline-Trunk: pstn1"}]
    # the header is no authentication: SIP only from the site's networks
    [acl] = [resolved(secs, s) for s in secs if resolved(secs, s).get("type") == "acl"]
    assert acl["deny"] == "0.0.0.0/0.0.0.0" and acl.get("permit")
    # the secrets are written at start for exactly these seats, never committed
    entry = (ROOT / "docker" / "asterisk-entrypoint.sh").read_text()
    assert "seq 8001 8060" in entry and not (CONF / "pjsip_auth.conf").exists()


def test_seat_list_matches_product_and_simulator():
    assert Settings().seats == 60
    assert sorted(HotlineModel().seats) == SEATS


def test_queue_is_what_the_simulator_models():
    q = {s.name: s for s in sections("queues.conf")}["hotline"]
    model = HotlineModel()
    assert q.get("strategy") == "rrmemory"
    assert float(q.get("timeout")) == model.member_timeout == 15
    assert float(q.get("retry")) == model.retry == 2
    assert float(q.get("wrapuptime")) == model.wrapup == 2
    assert q.get("ringinuse") == "no" and q.get("joinempty") == "paused,invalid,unavailable"
    assert q.get("leavewhenempty") == "no"
    # members log in dynamically (AMI QueueAdd), none are static
    assert q.all("member") == []
    rules = {s.name for s in sections("queuerules.conf")}
    assert q.get("defaultrule") in rules
    globals_ = {k: v for k, v in {s.name: s for s in sections("extensions.conf")}["globals"].items}
    assert int(globals_["HOTLINE_CAPACITY"]) == model.capacity == 40
    dialplan = (CONF / "extensions.conf").read_text()
    assert f"Queue(hotline,t${{IF" in dialplan and f",,,{QUEUE_NUMBERS['12345']})" in dialplan


def _dialplan():
    contexts: dict[str, dict[str, list[tuple[str | None, str]]]] = {}
    for sec in sections("extensions.conf"):
        if sec.name in ("general", "globals"):
            continue
        ctx = contexts.setdefault(sec.name, {})
        exten = None
        for key, value in sec.items:
            if key == "exten":
                exten, _, rest = value.partition(",")
                prio, _, app = rest.partition(",")
            elif key == "same":
                prio, _, app = value.partition(",")
            else:
                continue
            label = re.match(r"^n\(([^)]+)\)$", prio.strip())
            ctx.setdefault(exten, []).append((label.group(1) if label else None, app.strip()))
    return contexts


def test_every_referenced_context_and_label_exists():
    plan = _dialplan()
    referenced = {"callback"}                       # the product's Originate (ami/originate.py)
    referenced |= {resolved(sections("pjsip.conf"), s).get("context") for s in sections("pjsip.conf")} - {None}
    text = (CONF / "extensions.conf").read_text()
    for target in re.findall(r"(?:Goto|\?)\(?([a-z][a-z-]+),([a-z0-9_]+),1\)?", text):
        referenced.add(target[0])
        assert target[1] in plan[target[0]], target
    for ctx in referenced:
        assert ctx in plan, f"context {ctx} is referenced but not defined"
    # every GotoIf label is defined in the same extension
    for ctx, extens in plan.items():
        for exten, steps in extens.items():
            labels = {label for label, _ in steps if label}
            for _, app in steps:
                for m in re.finditer(r"\?([a-z]+)(?::([a-z]+))?\)$", app):
                    for label in filter(None, m.groups()):
                        assert label in labels, f"{ctx},{exten}: label {label} missing"
    assert "12345" in plan["from-trunk"] and "_80XX" in plan["from-trunk"] and "_X." in plan["callback"]


def test_agi_hooks_and_survey():
    text = (CONF / "extensions.conf").read_text()
    assert "AGI(contactcenter-agi,lookup)" in text
    assert "AGI(contactcenter-agi,survey,${WORK_ORDER_ID})" in text
    assert "HOTLINE_QUEUE_PRIO" in text


def test_ami_user_is_least_privilege_and_allowed_everything_the_product_sends():
    secs = {s.name: s for s in sections("manager.conf")}
    general, user = secs["general"], secs["contactcenter"]
    assert general.get("bindaddr") == "127.0.0.1" and general.get("timestampevents") == "yes"
    assert general.get("channelvars") == "HOTLINE_SESSION,CALLBACK_ID"
    assert user.get("deny") == "0.0.0.0/0.0.0.0" and user.get("permit") == "127.0.0.1/255.255.255.255"
    assert user.get("secret") is None                # comes from manager_secrets.conf, not the repo
    assert set(secs) == {"general", "contactcenter"}
    write = set(user.get("write").split(","))
    read = set(user.get("read").split(","))
    assert "all" not in write | read and "system" not in write and "command" not in write and "config" not in write
    # exactly what the code sends, found in the code: a new action without its class fails here
    needed = product_actions()
    assert {"Originate", "CoreShowChannels", "Hangup", "Logoff", "Login", "Ping"} <= needed
    for action in needed:
        assert action in ACTION_CLASSES, f"unknown privilege for {action}"
        classes = ACTION_CLASSES[action]
        assert classes is None or classes & write, f"{action} needs one of {classes}"
    # nothing granted that no action needs
    assert write == {"originate", "call", "reporting"}
    assert write == {c for a in needed for c in (ACTION_CLASSES[a] or set())} & write
    assert read == EVENT_CLASSES


@pytest.mark.parametrize("name", ["cdr.conf", "cdr_manager.conf", "cel.conf", "logger.conf", "modules.conf",
                                  "musiconhold.conf", "rtp.conf", "queuerules.conf", "asterisk.conf"])
def test_supporting_files_parse(name):
    secs = {s.name: s for s in sections(name)}
    if name == "cdr.conf":
        assert secs["general"].get("unanswered") == "yes" and secs["general"].get("congestion") == "yes"
    if name == "cdr_manager.conf":
        assert secs["general"].get("enabled") == "yes"
    if name == "cel.conf":
        assert secs["manager"].get("enabled") == "yes" and secs["general"].get("events") == "ALL"
    if name == "logger.conf":
        assert secs["general"].get("queue_log") == "yes"
    if name == "modules.conf":
        noload = secs["modules"].all("noload")
        assert not {"app_queue.so", "chan_pjsip.so", "res_agi.so", "cdr_manager.so", "cel_manager.so"} & set(noload)
    assert secs
