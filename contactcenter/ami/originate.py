"""The one way the product places a call: a checked AMI Originate.

Every value put into the action is checked against a strict pattern first (seat channel,
digits-only extension, context, caller ID, channel variables); anything else raises
`ValueError` and nothing is sent. No raw caller ID or user input reaches AMI unchecked, so no
CR/LF or other characters can inject headers or actions.

Callbacks ring the seat first (Channel = the seat's phone); when the seat answers, the
dialplan context `callback` dials the caller (Exten = the dial string) showing the hotline's
number. The result arrives as `OriginateResponse` (see `originate_result`) and, once the seat
answered, as the callback call's own record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

SEAT_CHANNEL = re.compile(r"\APJSIP/80\d\d\Z")
SEAT = re.compile(r"\A80\d\d\Z")
EXTEN = re.compile(r"\A\d{3,20}\Z")
CONTEXT = re.compile(r"\A[a-z][a-z0-9_-]{0,39}\Z")
CALLER_ID = re.compile(r'\A"[A-Za-z0-9 ]{1,40}" <\d{3,20}>\Z')
ACTION_ID = re.compile(r"\A[a-z]+(?:-[0-9A-Za-z]{1,20}){1,4}\Z")
CALLBACK_ID = re.compile(r"\Acb\d{1,18}\Z")
# variables the product sets on originated calls, each with the pattern of its value
VARIABLES = {
    "CALLBACK_ID": CALLBACK_ID,
    "__HOTLINE_SESSION": re.compile(r"\Acb-cb\d{1,18}\Z"),
    "CALLBACK_TASK": re.compile(r"\A\d{1,18}\Z"),
}
TIMEOUT_MS = (1000, 120000)

DEFAULT_CALLER_ID = '"Hotline Callback" <12345>'


@dataclass(frozen=True)
class CallbackDial:
    """What one callback try needs; `originate_action` checks it all."""

    task_id: int
    attempt: int  # nth try of the task
    attempt_id: int  # the attempt row: CALLBACK_ID = cb<attempt_id>
    seat: str
    dial: str
    context: str = "callback"
    caller_id: str = DEFAULT_CALLER_ID
    timeout_ms: int = 15000

    @property
    def action_id(self) -> str:
        return f"callback-{self.task_id}-{self.attempt}"

    @property
    def callback_id(self) -> str:
        return f"cb{self.attempt_id}"


def _check(name: str, value, pattern: re.Pattern) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"refusing to originate: bad {name} {value!r}")
    return value


def originate_action(dial: CallbackDial) -> dict:
    """The Originate action for one callback try, every value checked (ValueError otherwise).

    Returned as a dict whose `Variable` entry is a list (one header per variable)."""
    seat = _check("seat", str(dial.seat), SEAT)
    channel = _check("channel", f"PJSIP/{seat}", SEAT_CHANNEL)
    exten = _check("dial string", dial.dial, EXTEN)
    context = _check("context", dial.context, CONTEXT)
    caller_id = _check("caller ID", dial.caller_id, CALLER_ID)
    action_id = _check("action ID", dial.action_id, ACTION_ID)
    if not (isinstance(dial.timeout_ms, int) and TIMEOUT_MS[0] <= dial.timeout_ms <= TIMEOUT_MS[1]):
        raise ValueError(f"refusing to originate: bad timeout {dial.timeout_ms!r}")
    variables = {
        "CALLBACK_ID": dial.callback_id,
        "__HOTLINE_SESSION": f"cb-{dial.callback_id}",
        "CALLBACK_TASK": str(dial.task_id),
    }
    return {
        "Action": "Originate",
        "ActionID": action_id,
        "Channel": channel,
        "Context": context,
        "Exten": exten,
        "Priority": "1",
        "CallerID": caller_id,
        "Timeout": str(dial.timeout_ms),
        "Async": "true",
        "Variable": [f"{k}={_check(k, v, VARIABLES[k])}" for k, v in variables.items()],
    }


def check_action(action: dict) -> dict:
    """Re-check a built Originate (the panel's actions reach Asterisk only through the
    dispatcher, which calls this): every header known and matching its pattern, no CR/LF."""
    allowed = {"Action", "ActionID", "Channel", "Context", "Exten", "Priority", "CallerID", "Timeout", "Async",
               "Variable"}
    for key, value in action.items():
        if key not in allowed:
            raise ValueError(f"refusing to originate: unexpected header {key!r}")
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str) or "\r" in item or "\n" in item:
                raise ValueError(f"refusing to originate: bad value for {key}")
    if action.get("Action") != "Originate" or action.get("Async") != "true" or action.get("Priority") != "1":
        raise ValueError("refusing to originate: not an async Originate at priority 1")
    _check("channel", action.get("Channel"), SEAT_CHANNEL)
    _check("dial string", action.get("Exten"), EXTEN)
    _check("context", action.get("Context"), CONTEXT)
    _check("caller ID", action.get("CallerID"), CALLER_ID)
    _check("action ID", action.get("ActionID"), ACTION_ID)
    for item in action.get("Variable", []):
        name, sep, value = item.partition("=")
        if not sep or name not in VARIABLES:
            raise ValueError(f"refusing to originate: unexpected variable {name!r}")
        _check(name, value, VARIABLES[name])
    return action


# OriginateResponse Reason = Asterisk's AST_CONTROL_* state of the first leg (the seat)
SEAT_BUSY = "seat_busy"
SEAT_NO_ANSWER = "seat_no_answer"
ORIGINATE_REASONS = {
    "0": SEAT_BUSY,       # refused / no such channel: cb5, the seat's phone answered 486
    "1": SEAT_NO_ANSWER,  # hung up before answering
    "3": SEAT_NO_ANSWER,  # rang out (Originate Timeout): cb4
    "4": None,            # the seat answered: the caller's fate comes from the call record
    "5": SEAT_BUSY,       # busy
    "8": SEAT_BUSY,       # congestion on the seat's side
}


def result_from_originate(reason: str | None, response: str | None) -> str | None:
    """Map an OriginateResponse to an attempt result; None when the seat answered (wait for
    the call record). An unknown Reason with Failure counts as a seat-side failure."""
    reason = (reason or "").strip()
    failure = (response or "").lower() == "failure"
    if reason in ORIGINATE_REASONS:
        mapped = ORIGINATE_REASONS[reason]
        return SEAT_NO_ANSWER if mapped is None and failure else mapped
    return SEAT_NO_ANSWER if failure or not response else None


@dataclass(frozen=True)
class OriginateResult:
    action_id: str | None
    response: str | None  # Success | Failure
    reason: str | None  # the Reason code as sent
    result: str | None  # attempt result (seat side) or None when the seat answered
    callback_id: str | None
    channel: str | None
    unique_id: str | None


def originate_result(message) -> OriginateResult | None:
    """Read an `OriginateResponse` event (a `contactcenter.ami.events.Message`); None for any
    other message. Reason 4 = the seat answered (the caller's fate comes from the call record);
    3 = the seat rang out; 0/5/8 = the seat refused / was busy / congested; 1 = hung up."""
    if message.name != "OriginateResponse":
        return None
    callback_id = message.chanvar("CALLBACK_ID")
    response = message.get("Response")
    reason = message.get("Reason")
    unique_id = message.get("Uniqueid")
    return OriginateResult(
        action_id=message.action_id, response=response, reason=reason,
        result=result_from_originate(reason, response), callback_id=callback_id or None,
        channel=message.get("Channel"), unique_id=None if unique_id in (None, "<unknown>") else unique_id,
    )
