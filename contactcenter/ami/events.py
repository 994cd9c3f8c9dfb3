"""Typed AMI messages: what the rest of the product sees of the wire.

A `Message` is one AMI frame decoded to ordered (key, value) pairs. Repeated keys are kept
in `pairs`; `fields` maps each key to its last value; channel variables (`ChanVariable:
NAME=value`, and prefixed forms such as `DestChanVariable`, and the older
`ChanVariable(PJSIP/8010-0000001b): NAME=value`) are gathered in `chanvars` by prefix.
Unknown events and fields are kept as they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Message:
    pairs: list[tuple[str, str]]
    fields: dict[str, str]
    chanvars: dict[str, dict[str, str]] = field(default_factory=dict)
    # the journal id this message was stored under (None before it is journaled)
    journal_id: int | None = None
    connection: int = 0

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]], journal_id: int | None = None, connection: int = 0) -> "Message":
        fields: dict[str, str] = {}
        chanvars: dict[str, dict[str, str]] = {}
        for key, value in pairs:
            prefix, is_var = _chanvar_prefix(key)
            if is_var:
                name, _, var_value = value.partition("=")
                chanvars.setdefault(prefix, {})[name] = var_value
            else:
                fields[key] = value
        return cls(pairs=pairs, fields=fields, chanvars=chanvars, journal_id=journal_id, connection=connection)

    @property
    def name(self) -> str | None:
        """The event name (`Event:` header), or None for a response."""
        return self.fields.get("Event")

    @property
    def is_event(self) -> bool:
        return "Event" in self.fields

    @property
    def is_response(self) -> bool:
        return "Response" in self.fields

    @property
    def action_id(self) -> str | None:
        return self.fields.get("ActionID")

    @property
    def timestamp(self) -> float | None:
        """Asterisk's `Timestamp:` (timestampevents=yes), epoch seconds."""
        raw = self.fields.get("Timestamp")
        if raw is None:
            return None
        try:
            return float(raw)
        except ValueError:
            return None

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.fields.get(key, default)

    def chanvar(self, name: str, prefix: str = "") -> str | None:
        """A channel variable from `<prefix>ChanVariable` headers ('' = the channel itself)."""
        return self.chanvars.get(prefix, {}).get(name)


def _chanvar_prefix(key: str) -> tuple[str, bool]:
    """`DestChanVariable` -> ('Dest', True); `ChanVariable(PJSIP/8010-1b)` -> ('', True)."""
    base = key.split("(", 1)[0]
    if base.endswith("ChanVariable"):
        return base[: -len("ChanVariable")], True
    return "", False
