"""A reader for Asterisk's configuration format, enough to check the hotline's files:
sections `[name](template,!)`, `key = value` and `key => value` lines, `;` comments,
`#include` lines, and dialplan `exten =>` / `same =>` lines."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SECTION = re.compile(r"^\[([^\]]+)\](?:\(([^)]*)\))?\s*$")


@dataclass
class Section:
    name: str
    templates: list[str]
    is_template: bool
    items: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in reversed(self.items):
            if k == key:
                return v
        return default

    def all(self, key: str) -> list[str]:
        return [v for k, v in self.items if k == key]


def strip_comment(line: str) -> str:
    out, escaped = [], False
    for ch in line:
        if ch == ";" and not escaped:
            break
        escaped = ch == "\\"
        out.append(ch)
    return "".join(out).rstrip()


def read_conf(path: Path) -> list[Section]:
    sections: list[Section] = []
    current: Section | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = strip_comment(raw).strip()
        if not line or line.startswith("#"):
            continue
        m = SECTION.match(line)
        if m:
            opts = [o.strip() for o in (m.group(2) or "").split(",") if o.strip()]
            current = Section(m.group(1), [o for o in opts if o != "!"], "!" in opts)
            sections.append(current)
            continue
        if current is None:
            raise ValueError(f"{path.name}: line outside a section: {raw!r}")
        sep = "=>" if "=>" in line and line.index("=>") <= line.find("=") else "="
        key, _, value = line.partition(sep)
        current.items.append((key.strip(), value.strip()))
    return sections


def resolved(sections: list[Section], section: Section) -> dict[str, str]:
    """A section's settings with its templates' settings underneath."""
    by_name = {s.name: s for s in sections if s.is_template}
    out: dict[str, str] = {}
    for t in section.templates:
        out.update(resolved(sections, by_name[t]))
    for k, v in section.items:
        out[k] = v
    return out
