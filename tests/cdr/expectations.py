"""What each recorded call must come out as, worked out from truth.json (the SIP user agents'
own logs and the scripted intent), not from the product."""
from __future__ import annotations

from tests.captures import truth

# outcome_from_ua (user agents' view) -> (outcome, stage)
UA_OUTCOMES = {
    "answered": ("answered", None),
    "ivr_abandon": ("abandoned", "ivr"),
    "abandoned_while_ringing": ("abandoned", "ringing"),
    "abandoned_in_queue": ("abandoned", "queue"),
    "busy": ("busy", None),
    "failed": ("failed", None),
}
# scripted intent where the UA cannot tell (the PBX hung up on an unanswered caller)
INTENT = {"busy": ("busy", None), "no_answer": ("no_answer", None)}
# captures README, "transfer": t2 is an attended transfer to 8018, which answers after 2 s;
# the caller's user agent only ever sees 8017
ATTENDED_TRANSFER_TARGETS = {("transfer", "t2"): "8018"}
CALLBACK_INTENT = {
    "answered": ("answered", None), "busy": ("busy", None), "no_answer": ("no_answer", None),
    "agent_no_answer": ("no_answer", None), "agent_busy": ("busy", None),
}


def expected_calls(name: str) -> list[dict]:
    """One dict per call fully inside the capture: caller, start, outcome, stage, answered_by, seats."""
    out = []
    for call in truth(name)["calls"]:
        if call.get("fully_inside_capture") is False:
            continue
        if call.get("type") == "ami_originate":
            outcome, stage = CALLBACK_INTENT[call["expected_outcome"]]
            seat_answered = call["expected_outcome"] in ("answered", "busy", "no_answer")
            out.append({"key": call["call"], "direction": "callback", "caller": call["customer_number"],
                        "outcome": outcome, "stage": stage,
                        "answered_by": call["agent_seat"] if seat_answered else None,
                        "callback_id": call["call"], "started": None})
            continue
        ua = call.get("outcome_from_ua") or {}
        if ua.get("outcome") in UA_OUTCOMES:
            outcome, stage = UA_OUTCOMES[ua["outcome"]]
        else:
            outcome, stage = INTENT[call["expected_outcome"]]
        agents = ua.get("agents_answered") or []
        seats = list(agents)
        if call.get("expected_outcome") == "answered_transferred":
            # the attended transfer's target (8018) talks through a Local pair the caller's UA never sees
            seats = [leg["user"] for leg in call["observed"]["phone_legs"] if leg.get("answered_wall")]
            target = ATTENDED_TRANSFER_TARGETS.get((name, call["call"]))
            if target:
                seats.append(target)
        out.append({"key": call["call"], "direction": "inbound", "caller": call["caller_number"],
                    "outcome": outcome, "stage": stage, "answered_by": agents[0] if agents else None,
                    "seats": seats, "missed": outcome != "answered",
                    "started": call["observed"]["invite_sent_wall"]})
    return out


def match(records: list, expected: dict):
    """The record for an expected call: by callback id, else by caller and start time."""
    if expected["direction"] == "callback":
        # each recorded callback went to its own customer number
        found = [r for r in records if _get(r, "direction") == "callback" and _get(r, "caller") == expected["caller"]]
    else:
        found = [r for r in records if _get(r, "caller") == expected["caller"]
                 and abs(_ts(_get(r, "started_at")) - expected["started"]) < 2.0]
    assert len(found) == 1, f"{expected['key']}: expected one record, found {len(found)}"
    return found[0]


def _get(record, key):
    return record[key] if isinstance(record, dict) else getattr(record, key)


def _ts(value) -> float:
    import datetime as dt

    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.timestamp()
