"""A hotline day: who calls when, how patient they are, and how the seats behave.

Pure code on top of `HotlineModel`: it only schedules steps on the model's agenda, drawing
from its own seeded random generator, so the same seed gives the same day.

* Arrivals: a non-homogeneous Poisson process (thinning) whose hourly rate follows
  `HOURLY_PROFILE` (quiet night, morning peak 09-11, afternoon peak 14-16), scaled so the
  day's expected total is `calls_per_day`.
* Callers: mobile (1[3-9]x…) and landline (0635 8xxxxxx) numbers; some withheld
  (`<unknown>` / `anonymous`); some call again after a missed call (repeat callers); a few
  dial a seat directly (DID 80xx); some carry a Chinese display name.
* Patience: ~8 % hang up during the greeting; the others wait an exponentially distributed
  time (some abandon in the queue or while a seat rings).
* Seats: fast, slow, unreliable (sometimes don't answer) and do-not-disturb prone (486)
  phones; a roster logs seats in and out with the hour, and agents take short breaks
  (QueuePause with a reason).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from contactcenter.sim.model import HotlineModel, SeatBehaviour

# share of the day's calls in each local hour (sums to 1 after normalisation)
HOURLY_PROFILE = [0.4, 0.25, 0.2, 0.2, 0.25, 0.5, 1.2, 3.0, 6.5, 8.8, 9.2, 7.6,
                  4.8, 5.6, 8.4, 8.8, 7.9, 6.2, 4.2, 3.1, 2.4, 1.8, 1.2, 0.7]
# share of the seats logged in during each local hour
STAFFING = [0.04, 0.03, 0.03, 0.03, 0.03, 0.04, 0.06, 0.12, 0.22, 0.27, 0.28, 0.25,
            0.18, 0.2, 0.26, 0.27, 0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.05]
DEFAULT_CALLS_PER_DAY = 1179
PEAK_DAY_CALLS = 1949
NAMES = ["张三", "李四", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "聊城市东昌府区居民"]
BREAK_REASONS = ["break", "lunch", "training", "team-meeting"]


@dataclass
class TrafficSettings:
    calls_per_day: int = DEFAULT_CALLS_PER_DAY
    ivr_abandon: float = 0.08
    withheld: float = 0.03
    repeat: float = 0.12
    did: float = 0.03
    named: float = 0.1
    mean_wait_patience: float = 110.0
    roster_every_s: float = 900.0


class DailyTraffic:
    """Feeds a `HotlineModel` with a day of callers and seat activity.

    `day_start` is the epoch of local midnight (the profile is in local hours)."""

    def __init__(self, model: HotlineModel, settings: TrafficSettings | None = None, seed: int = 0,
                 day_start: float | None = None, staffing: bool = True):
        self.model = model
        self.s = settings or TrafficSettings()
        self.rng = random.Random(seed * 7919 + 17)
        self.day_start = model.now if day_start is None else day_start
        self.staffing = staffing
        total = sum(HOURLY_PROFILE)
        self.rates = [self.s.calls_per_day * w / total / 3600.0 for w in HOURLY_PROFILE]
        self.max_rate = max(self.rates) if self.s.calls_per_day > 0 else 0.0
        self.recent_missed: list[str] = []
        self.placed = 0
        self._assign_seats()

    # --------------------------------------------------------------- seats
    def _assign_seats(self) -> None:
        for seat in self.model.seats.values():
            r = self.rng.random()
            if r < 0.65:
                seat.behaviour = SeatBehaviour(answer_after=self.rng.uniform(1.5, 4.0), ring_spread=1.0)
            elif r < 0.85:
                seat.behaviour = SeatBehaviour(answer_after=self.rng.uniform(5.0, 9.0), ring_spread=2.0)
            elif r < 0.95:
                seat.behaviour = SeatBehaviour(answer_after=self.rng.uniform(2.0, 6.0), answer_prob=0.6,
                                               ring_spread=1.0)
            else:
                seat.behaviour = SeatBehaviour(answer_after=3.0, reject_prob=0.3, ring_spread=1.0)

    def hour_of(self, t: float) -> int:
        return int(((t - self.day_start) % 86400) // 3600)

    def rate(self, t: float) -> float:
        return self.rates[self.hour_of(t)]

    # --------------------------------------------------------------- start
    def install(self) -> None:
        """Schedule the first arrival and the roster on the model's agenda."""
        if self.staffing:
            self.model.at(self.model.now, self._roster)
        self._schedule_next(self.model.now)

    def _schedule_next(self, t: float) -> None:
        if self.max_rate <= 0:
            return
        while True:  # thinning: candidate times at the peak rate, kept with rate(t)/peak
            t += self.rng.expovariate(self.max_rate)
            if self.rng.random() * self.max_rate <= self.rate(t):
                break
        self.model.at(t, self._arrival)

    # --------------------------------------------------------------- callers
    def _number(self) -> str:
        if self.rng.random() < 0.7:
            return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
        return f"06358{self.rng.randrange(10**6):06d}"

    def _arrival(self) -> None:
        m, rng, s = self.model, self.rng, self.s
        self.placed += 1
        withheld_as = "<unknown>"
        if rng.random() < s.withheld:
            number = None
            withheld_as = rng.choice(["<unknown>", "anonymous"])
        elif self.recent_missed and rng.random() < s.repeat:
            number = self.recent_missed.pop(rng.randrange(len(self.recent_missed)))
        else:
            number = self._number()
        name = rng.choice(NAMES) if rng.random() < s.named else None
        dialed = "12345"
        if rng.random() < s.did:
            dialed = rng.choice(list(m.seats))
        if rng.random() < s.ivr_abandon:
            wait = rng.uniform(0.8, 4.0)
        else:
            wait = 4.33 + rng.expovariate(1.0 / s.mean_wait_patience)
        agent_talk = max(20.0, rng.lognormvariate(math.log(200.0), 0.6))
        caller_talk = max(8.0, rng.lognormvariate(math.log(170.0), 0.7)) if rng.random() < 0.3 else None
        m.place_call(number, dialed, name=name, withheld_as=withheld_as, wait_patience=wait,
                     caller_talk=caller_talk, agent_talk=agent_talk)
        if number and wait < 60 and len(self.recent_missed) < 500:
            # impatient callers are the ones likely to miss and call again
            self.recent_missed.append(number)
        self._schedule_next(m.now)

    # --------------------------------------------------------------- roster and breaks
    def _roster(self) -> None:
        m, rng = self.model, self.rng
        want = max(1, round(len(m.seats) * STAFFING[self.hour_of(m.now)]))
        members = [seat for seat in m.members]
        if len(members) < want:
            idle = [seat for seat in m.seats.values() if seat.member is None]
            rng.shuffle(idle)
            for seat in idle[: want - len(members)]:
                m.queue_add(seat.ext)
        elif len(members) > want:
            idle = [seat for seat in members if seat.busy_with is None]
            for seat in idle[: len(members) - want]:
                m.queue_remove(seat.ext)
        for seat in list(m.members):
            if seat.member and not seat.member.paused and seat.busy_with is None and rng.random() < 0.04:
                m.queue_pause(seat.ext, True, rng.choice(BREAK_REASONS))
                m.after(rng.uniform(300, 900), self._back_from_break, seat.ext)
        m.after(self.s.roster_every_s, self._roster)

    def _back_from_break(self, ext: str) -> None:
        seat = self.model.seats[ext]
        if seat.member is not None and seat.member.paused:
            self.model.queue_pause(ext, False)
