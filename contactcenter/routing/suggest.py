"""Dispatch suggestion: which handling unit should take a request (pure, no database).

How it decides, in the order a dispatcher would think:
1. Place names in the text or the order's location (county/district names, zones, their towns
   and streets) point to a territorial unit; local matters go where they happen (属地管理).
2. Subject keywords point to a city department (matched 公积金 → 住房公积金管理中心).
3. When both match, the territorial unit comes first, except for vertically managed services
   (utilities, provident fund, tax, traffic police, fire, post, telecoms, medical insurance)
   whose department handles its matters city-wide: then the department comes first.
A match inside a longer match is ignored (东昌 inside 东昌湖). Single-character keywords are
matched against jieba words only, so 偷 matches 被偷了 but not 偷偷开工.
Every suggestion carries the reasons that produced it, to be shown to the operator.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Iterable

import jieba

FALLBACK_CODE = "C01"  # the city proper takes what nothing else claims


@dataclass(frozen=True)
class UnitInfo:
    """What routing needs to know about a handling unit (from the table or the seed file)."""

    id: int | None
    code: str
    name: str
    short_name: str
    kind: str
    aliases: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    vertical: bool = False

    @classmethod
    def from_mapping(cls, m) -> "UnitInfo":
        get = m.get if isinstance(m, dict) else lambda k, d=None: getattr(m, k, d)
        return cls(id=get("id"), code=get("code"), name=get("name"), short_name=get("short_name"),
                   kind=get("kind"), aliases=tuple(get("aliases") or ()), places=tuple(get("places") or ()),
                   keywords=tuple(get("keywords") or ()), vertical=bool(get("vertical")))


@dataclass
class Suggestion:
    unit_id: int | None
    code: str
    name: str
    score: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"unit_id": self.unit_id, "code": self.code, "name": self.name,
                "score": round(self.score, 2), "reasons": self.reasons}


def seed_units() -> list[dict]:
    """The seeded handling units (the migration loads the same file)."""
    text = resources.files("contactcenter.routing").joinpath("data/units.json").read_text(encoding="utf-8")
    return json.loads(text)


def labelled_requests(name: str = "data/labelled_requests.txt") -> list[tuple[str, str]]:
    """The labelled set: (expected unit code, request text)."""
    text = resources.files("contactcenter.routing").joinpath(name).read_text(
        encoding="utf-8")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            code, request = line.split("\t", 1)
            out.append((code.strip(), request.strip()))
    return out


def _short_place(place: str) -> str | None:
    """堂邑镇 → 堂邑, 古楼街道 → 古楼: citizens often drop the suffix (never down to one character)."""
    for suffix in ("街道", "回族镇", "镇", "乡"):
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return None


@dataclass(frozen=True)
class _Term:
    text: str
    unit: UnitInfo
    kind: str      # place | alias | keyword
    weight: float


def _keyword_weight(term: str) -> float:
    return {1: 1.0, 2: 2.0, 3: 2.5}.get(len(term), 3.0)


class Router:
    """Built once from the units (the table's rows); `suggest` is then pure and fast."""

    def __init__(self, units: Iterable) -> None:
        self.units = [u if isinstance(u, UnitInfo) else UnitInfo.from_mapping(u) for u in units]
        self.by_code = {u.code: u for u in self.units}
        terms: list[_Term] = []
        for u in self.units:
            names = {u.name, u.short_name, *u.aliases}
            if u.kind in ("county", "zone"):
                for n in names:
                    terms.append(_Term(n, u, "place", 4.0))
                for p in u.places:
                    terms.append(_Term(p, u, "place", 4.0))
                    short = _short_place(p)
                    if short:
                        terms.append(_Term(short, u, "place", 3.5))
            else:
                for n in names:
                    terms.append(_Term(n, u, "alias", 4.0))
                for k in u.keywords:
                    terms.append(_Term(k, u, "keyword", _keyword_weight(k)))
        self._long = [t for t in terms if len(t.text) >= 2]
        self._single = {}
        for t in terms:
            if len(t.text) == 1:
                self._single.setdefault(t.text, []).append(t)
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        with self._lock:
            for t in self._long:
                self._tokenizer.add_word(t.text, freq=2000)

    def words(self, text: str) -> list[str]:
        with self._lock:
            return [w for w in self._tokenizer.lcut(text) if w.strip()]

    def _matches(self, text: str) -> list[tuple[int, int, _Term]]:
        found = []
        for t in self._long:
            start = text.find(t.text)
            while start != -1:
                found.append((start, start + len(t.text), t))
                start = text.find(t.text, start + 1)
        if self._single:
            pos = 0
            for w in self.words(text):
                at = text.find(w, pos)
                pos = at + len(w) if at >= 0 else pos
                for t in self._single.get(w, ()):
                    found.append((at, at + 1, t))
        # a match strictly inside a longer one is not a match (东昌 in 东昌湖, 税 in 退税)
        kept = []
        for s, e, t in found:
            if not any((s2 <= s and e <= e2) and (e2 - s2) > (e - s) for s2, e2, _ in found):
                kept.append((s, e, t))
        return kept

    def suggest(self, text: str, county: str | None = None, town: str | None = None,
                top: int = 3) -> list[Suggestion]:
        """Ranked suggestions (best first, at most `top`), each with its reasons."""
        text = (text or "").strip()
        scores: dict[str, Suggestion] = {}
        seen: set[tuple[str, str]] = set()

        def add(unit: UnitInfo, weight: float, reason: str, key: str) -> None:
            if (unit.code, key) in seen:
                return
            seen.add((unit.code, key))
            s = scores.setdefault(unit.code, Suggestion(unit.id, unit.code, unit.name, 0.0))
            s.score += weight
            s.reasons.append(reason)

        for field_value, label in ((county, "county"), (town, "town")):
            if field_value:
                for s, e, t in self._matches(field_value.strip()):
                    if t.kind == "place":
                        add(t.unit, 6.0, f"location {label} {t.text} → {t.unit.name}", t.text)
        for s, e, t in self._matches(text):
            verb = "place" if t.kind == "place" else "matched"
            add(t.unit, t.weight, f"{verb} {t.text} → {t.unit.name}", t.text)

        territorial = sorted((s for s in scores.values() if self.by_code[s.code].kind != "department"),
                             key=lambda s: (-s.score, s.code))
        departments = sorted((s for s in scores.values() if self.by_code[s.code].kind == "department"),
                             key=lambda s: (-s.score, s.code))
        ranked: list[Suggestion] = []
        if territorial:
            best_dept = departments[0] if departments else None
            strictly_best = best_dept is not None and (len(departments) == 1 or
                                                       departments[1].score < best_dept.score)
            if best_dept and self.by_code[best_dept.code].vertical and strictly_best:
                best_dept.reasons.append("vertically managed: handled city-wide by the department")
                ranked = [best_dept, territorial[0], *departments[1:], *territorial[1:]]
            else:
                territorial[0].reasons.append("local matter: dispatched where it happens")
                ranked = [territorial[0], *departments, *territorial[1:]]
        else:
            ranked = list(departments)
        fallback = self.by_code.get(FALLBACK_CODE)
        if fallback and all(s.code != fallback.code for s in ranked):
            ranked.append(Suggestion(fallback.id, fallback.code, fallback.name, 0.0,
                                     ["no place named: the city proper"]))
        return ranked[:top]


_default: Router | None = None


def default_router() -> Router:
    """A router over the seed file (tests, bench, commands without a database)."""
    global _default
    if _default is None:
        _default = Router(seed_units())
    return _default


def heldout_requests() -> list[tuple[str, str]]:
    """Requests never used to tune the keyword lists: the honest accuracy estimate."""
    return labelled_requests("data/heldout_requests.txt")
