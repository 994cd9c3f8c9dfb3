"""The recorded capture scenarios (tests/fixtures/captures/), scripted for the simulator.

Each scenario is a list of timed steps, with times in seconds from the scenario start,
taken from the capture's truth.json (what each party did) and its README entry. Running
one gives the simulator's event stream for the same situation, which the fidelity test
compares with the recording.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from contactcenter.sim.model import CustomerBehaviour, HotlineModel, SeatBehaviour
from contactcenter.sim.writer import AmiEvent

# start of the scenario clock: the recordings' own epoch (Dec 2026)
EPOCH = 1796321250.0


@dataclass
class Step:
    t: float
    action: str
    args: dict = field(default_factory=dict)


def _call(t, number, dialed="12345", patience=None, name=None):
    return Step(t, "call", {"caller": number, "dialed": dialed, "patience": patience, "name": name})


def _seat(ext, **behaviour):
    return Step(0.0, "seat", {"ext": ext, "behaviour": SeatBehaviour(**behaviour)})


SCENARIOS: dict[str, list[Step]] = {
    "answered": [
        _seat("8001", answer_after=2.0),
        _seat("8002", answer_after=2.0, talk_s=5.0),
        Step(0.0, "add", {"ext": "8001"}),
        _call(1.1, "13900001101", patience=11.5),
        Step(15.2, "remove", {"ext": "8001"}),
        Step(15.2, "add", {"ext": "8002"}),
        _call(16.2, "06358201102", patience=60.0),
        Step(30.2, "remove", {"ext": "8002"}),
    ],
    "abandon-in-queue": [
        _seat("8003", answer_after=1.0),
        Step(0.0, "add", {"ext": "8003"}),
        _call(1.1, "13900001201", patience=26.0),
        _call(4.1, "13900001202", patience=12.3),
        Step(30.0, "remove", {"ext": "8003"}),
    ],
    "busy": [
        _seat("8005", reject=486),
        _seat("8006", reject=503),
        Step(0.0, "capacity", {"value": 0}),
        _call(0.1, "13900001401", patience=30.0),
        Step(2.0, "capacity", {"value": 40}),
        _call(2.75, "13900001402", patience=30.0),
        _call(14.5, "06358201403", dialed="8005", patience=30.0),
        _call(17.15, "13900001404", dialed="8006", patience=30.0),
    ],
    "ring-no-answer": [
        _seat("8007", answer_after=None),
        _seat("8008", answer_after=2.0),
        Step(0.0, "add", {"ext": "8007"}),
        Step(0.0, "add", {"ext": "8008"}),
        _call(1.1, "13900001501", patience=35.0),
        _call(38.8, "06358201502", patience=35.0),
        Step(76.0, "remove", {"ext": "8007"}),
        Step(76.0, "remove", {"ext": "8008"}),
    ],
    "queue-timeout": [
        _seat("8023", answer_after=None),
        _seat("8024", answer_after=1.5),
        Step(0.0, "add", {"ext": "8023"}),
        _call(1.1, "13900002201", dialed="12346", patience=90.0),
        Step(35.0, "remove", {"ext": "8023"}),
        Step(35.0, "add", {"ext": "8024"}),
        _call(36.3, "06358202202", patience=45.0),
        _call(39.3, "13900002203", dialed="12346", patience=90.0),
        Step(84.0, "remove", {"ext": "8024"}),
    ],
    "cjk-names": [
        _seat("8021", answer_after=2.0),
        _seat("8022", answer_after=2.0),
        Step(0.0, "add", {"ext": "8021"}),
        _call(1.1, "13900002101", patience=24.0, name="张三"),
        _call(4.1, "13900002102", patience=12.3, name="李四"),
        Step(27.0, "remove", {"ext": "8021"}),
        Step(27.0, "add", {"ext": "8022"}),
        _call(28.8, "06358202103", patience=14.0, name="聊城市东昌府区居民"),
        Step(46.0, "remove", {"ext": "8022"}),
    ],
    "callback-originate": [
        _seat("8010", answer_after=1.5),
        _seat("8011", answer_after=1.5),
        _seat("8012", answer_after=1.5),
        _seat("8013", answer_after=None),
        _seat("8014", reject=486),
        Step(0.0, "customer", {"number": "13900007001", "behaviour": CustomerBehaviour("answer", 3.0, 9.0)}),
        Step(0.0, "customer", {"number": "13900007002", "behaviour": CustomerBehaviour("busy")}),
        Step(0.0, "customer", {"number": "13900007003", "behaviour": CustomerBehaviour("no_answer")}),
        Step(1.0, "originate", {"seat": "8010", "number": "13900007001", "cb": "cb1"}),
        Step(5.0, "originate", {"seat": "8011", "number": "13900007002", "cb": "cb2"}),
        Step(9.0, "originate", {"seat": "8012", "number": "13900007003", "cb": "cb3"}),
        Step(13.0, "originate", {"seat": "8013", "number": "13900007004", "cb": "cb4"}),
        Step(17.0, "originate", {"seat": "8014", "number": "13900007005", "cb": "cb5"}),
    ],
    "transfer": [
        _seat("8015", answer_after=1.5),
        _seat("8016", answer_after=2.0, talk_s=6.0),
        Step(0.0, "add", {"ext": "8015"}),
        _call(1.1, "13900001801", patience=60.0),
        Step(10.95, "blind", {"seat": "8015", "exten": "8016"}),
        Step(21.5, "remove", {"ext": "8015"}),
    ],
}


def apply_step(model: HotlineModel, step: Step) -> None:
    """Carry out one scripted step on the model, at the model's current time."""
    a = step.args
    if step.action == "seat":
        model.seats[a["ext"]].behaviour = a["behaviour"]
    elif step.action == "add":
        model.queue_add(a["ext"])
    elif step.action == "remove":
        model.queue_remove(a["ext"])
    elif step.action == "capacity":
        model.capacity = a["value"]
    elif step.action == "call":
        model.place_call(a["caller"], a["dialed"], name=a.get("name"), patience=a.get("patience"))
    elif step.action == "customer":
        model.set_customer(a["number"], a["behaviour"])
    elif step.action == "originate":
        cb = a["cb"]
        model.originate(a["seat"], a["number"], "callback", ("Hotline Callback", "12345"),
                        {"CALLBACK_ID": cb, "__HOTLINE_SESSION": f"cb-{cb}"}, f"callback-{cb}", 15000)
    elif step.action == "blind":
        seat = model.seats[a["seat"]]
        call = seat.busy_with
        if call is not None and call.leg is not None:
            model.blind_transfer(call.leg.ch.name, a["exten"], "from-agent")
    else:
        raise ValueError(f"unknown scenario step {step.action!r}")


def run_scenario(name: str, seed: int = 1, start: float = EPOCH) -> tuple[HotlineModel, list[AmiEvent]]:
    """Play a recorded scenario on a fresh model; return the model and every event."""
    steps = sorted(SCENARIOS[name], key=lambda s: s.t)
    model = HotlineModel(seed=seed, start=start, varied_order=False)
    events: list[AmiEvent] = []
    for step in steps:
        events += model.run_until(start + step.t)
        apply_step(model, step)
    events += model.run_all()
    return model, events
