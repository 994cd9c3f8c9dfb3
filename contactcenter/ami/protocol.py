"""AMI framing, pure: bytes in, parsed frames out. No sockets, no clocks.

Asterisk sends `Key: value` lines ending in CRLF, with a blank line after each message, and a
single greeting line (`Asterisk Call Manager/11.0.0`) when a connection opens. This module
splits that byte stream into frames *on bytes* and decodes each whole frame afterwards, so a
multi-byte character cut in two by TCP survives. It is tolerant where real peers are sloppy:

- a frame ends at any blank line: `\\r\\n\\r\\n`, `\\n\\n` or `\\r\\n\\n` (so a frame ending in
  `\\r\\n\\n` does not swallow the next one);
- text is UTF-8; a line that is not falls back to GB18030 (caller names from older Chinese
  gateways), and as a last resort to latin-1 (status `undecodable`) — nothing is dropped;
- a frame over 1 MB is skipped up to its blank line and reported (`oversized`);
- a line without `:` is reported (`malformed`), the other lines of the frame are kept.

Every item is a `Frame`: a `contactcenter.ami.events.Message` that also carries its exact
raw bytes, its status and, once journaled, its journal id — so the same object can be
journaled and then correlated.
"""
from __future__ import annotations

import datetime as dt
import gc
import re
from dataclasses import dataclass

from contactcenter.ami.events import Message, _chanvar_prefix

BANNER_PREFIX = b"Asterisk Call Manager/"
MAX_FRAME_BYTES = 1 << 20  # 1 MB: larger frames are skipped and reported
OVERSIZED_KEEP_BYTES = 64 * 1024  # how much of a skipped frame is kept for the journal

# end of a frame: a line end followed by an empty line (CRLF or bare LF, in any mix)
_FRAME_END = re.compile(rb"\n\r?\n")
_EVENT_SNIFF = re.compile(rb"(?:^|\n)Event: ?([^\r\n]{1,64})")
_DIGIT_RUN = re.compile(r"\d{5,}")
# one `Key: value` line: split at the first colon, one following space removed
_PAIR = re.compile(r"([^:\r\n]*): ?([^\r\n]*)\r\n")

STATUS_OK = "ok"
STATUS_MALFORMED = "malformed"
STATUS_OVERSIZED = "oversized"
STATUS_UNDECODABLE = "undecodable"
STATUS_TRUNCATED = "truncated"
# kept raw, not parsed: an event its consumer said it does not use (see `ParseFilter`)
STATUS_UNPARSED = "unparsed"
_NOT_USABLE = (STATUS_OVERSIZED, STATUS_TRUNCATED, STATUS_UNPARSED)


@dataclass(slots=True)
class Frame(Message):
    """One received AMI item: a parsed message (or the greeting banner) with its raw bytes.

    `raw` is exactly the bytes taken from the stream, terminator included (only the first
    64 kB for an oversized frame), so concatenating the `raw` of consecutive frames gives the
    stream back. `status` is one of ok | malformed | oversized | undecodable | truncated;
    `error` says what was wrong (or, with status ok, notes a GB18030 fallback). Oversized and
    truncated frames have no pairs: their content is not trusted, only journaled.
    """

    raw: bytes = b""
    kind: str = "message"  # "message" | "banner"
    status: str = STATUS_OK
    error: str | None = None
    received_at: dt.datetime | None = None

    @property
    def is_banner(self) -> bool:
        return self.kind == "banner"

    @property
    def banner(self) -> str | None:
        """The greeting line without its line end (`Asterisk Call Manager/11.0.0`), or None."""
        if self.kind != "banner":
            return None
        return self.raw.decode("latin-1").rstrip("\r\n")

    @property
    def event_name(self) -> str | None:
        """The event name, also for frames whose content was not parsed (for the journal)."""
        name = self.fields.get("Event")
        if name is None and self.status in (STATUS_OVERSIZED, STATUS_TRUNCATED):
            m = _EVENT_SNIFF.search(self.raw[:4096])
            if m:
                name = m.group(1).decode("utf-8", "replace").strip()
        return name

    @property
    def usable(self) -> bool:
        """True when the pairs can be trusted for correlation (not banner, oversized, truncated,
        or left unparsed)."""
        return self.kind == "message" and self.status not in _NOT_USABLE


def mask_digits(text: str) -> str:
    """Hide long digit runs (caller numbers) in text meant for logs: `139****1234`."""
    return _DIGIT_RUN.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:] if len(m.group(0)) > 7
                          else m.group(0)[:1] + "****", text)


def _decode_lines(body: bytes) -> tuple[list[str], str, str | None]:
    """Decode a frame body line by line when it is not valid UTF-8 as a whole."""
    lines: list[str] = []
    worst = STATUS_OK
    notes: list[str] = []
    for i, bline in enumerate(body.split(b"\n"), 1):
        try:
            lines.append(bline.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            lines.append(bline.decode("gb18030"))
            notes.append(f"line {i} decoded as GB18030")
        except UnicodeDecodeError:
            lines.append(bline.decode("latin-1"))
            notes.append(f"line {i} undecodable, read as latin-1")
            worst = STATUS_UNDECODABLE
    return lines, worst, "; ".join(notes)


def parse_frame(raw: bytes) -> Frame:
    """Parse one frame's bytes (terminator included or not) into a `Frame`.

    Each line is split at its first `:` and one following space is removed, exactly as the
    captures' ami.jsonl records them; duplicated keys are kept in order.
    """
    body = raw.strip(b"\r\n") + b"\r\n"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _parse_lines(raw, body)
    # fast path: clean CRLF lines, every one with a colon (one regex pass in C)
    pairs = _PAIR.findall(text)
    n = body.count(b"\n")
    if len(pairs) != n or body.count(b"\r") != n or body.count(b"\r\n") != n:
        return _parse_lines(raw, body)
    return _frame(raw, pairs, STATUS_OK, None, "ChanVariable" in text)


def _parse_lines(raw: bytes, body: bytes) -> Frame:
    """The careful path: bare LF or stray CR, lines without a colon, non-UTF-8 bytes."""
    status = STATUS_OK
    error: str | None = None
    try:
        lines = body.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines, status, error = _decode_lines(body)
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    bad: list[tuple[int, str]] | None = None
    for i, line in enumerate(lines):
        if line[-1:] == "\r":
            line = line[:-1]
        key, sep, value = line.partition(":")
        if sep:
            append((key, value[1:] if value[:1] == " " else value))
        elif line:
            if bad is None:
                bad = []
            bad.append((i + 1, line))
    if bad:
        status = STATUS_MALFORMED if status == STATUS_OK else status
        first_no, first = bad[0]
        note = (f"{len(bad)} line(s) without ':' ignored (first, line {first_no}: "
                f"{mask_digits(first[:60])!r})")
        error = f"{note}; {error}" if error else note
    return _frame(raw, pairs, status, error or None, True)


def _frame(raw: bytes, pairs: list[tuple[str, str]], status: str, error: str | None,
           maybe_chanvars: bool) -> Frame:
    """Build the Frame with the same fields/chanvars as `Message.from_pairs` (a test checks
    they agree on every capture), but with dict() doing the common work in C."""
    fields = dict(pairs)
    chanvars: dict[str, dict[str, str]] = {}
    if maybe_chanvars:
        for key, value in pairs:
            if "ChanVariable" in key:
                prefix, is_var = _chanvar_prefix(key)
                if is_var:
                    name, _, var_value = value.partition("=")
                    chanvars.setdefault(prefix, {})[name] = var_value
                    fields.pop(key, None)
    return Frame(pairs=pairs, fields=fields, chanvars=chanvars, raw=raw, status=status, error=error)


def _banner_frame(raw: bytes) -> Frame:
    return Frame(pairs=[], fields={}, raw=raw, kind="banner")


class ParseFilter:
    """Which frames a `FrameSplitter` parses in full.

    With `events: on`, Asterisk sends every channel's VarSet, CEL, RTCP report and dialplan
    step: on a busy hotline four frames in five are events no call record uses. A frame whose
    first line names an event that is not in `events` (or a VarSet of a variable not in
    `variables`) and that answers no action (no ActionID) is handed on unparsed: its raw bytes
    (journaled as received, parsed when read back) and its event name only. Responses, events
    of action lists and anything that does not start with a clean `Event:` line are always
    parsed.
    """

    def __init__(self, events, variables=()) -> None:
        self.events = frozenset(e.encode() for e in events)
        self.variables = frozenset(v.encode() for v in variables)

    def unused_event(self, raw: bytes) -> bytes | None:
        """The event name when this frame need not be parsed, else None."""
        if not raw.startswith(b"Event: "):
            return None
        eol = raw.find(b"\r\n", 7)
        if eol == -1:
            return None
        name = raw[7:eol]
        if name == b"VarSet":
            at = raw.find(b"\r\nVariable: ", eol)
            if at == -1:
                return None
            end = raw.find(b"\r\n", at + 12)
            if end == -1 or raw[at + 12:end] in self.variables:
                return None
        elif name in self.events:
            return None
        if b"\r\nActionID: " in raw:
            return None
        return name


def _unparsed_frame(raw: bytes, name: bytes) -> Frame:
    return Frame(pairs=[], fields={"Event": name.decode("utf-8", "replace")}, raw=raw, status=STATUS_UNPARSED)


class FrameSplitter:
    """Incremental splitter for one AMI connection: `feed(bytes)` returns the frames that
    became complete, in order. Partial frames wait for the next read. With a `parse_filter`
    the frames it calls unused come out unparsed (`STATUS_UNPARSED`)."""

    def __init__(self, max_frame_bytes: int = MAX_FRAME_BYTES, parse_filter: ParseFilter | None = None) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._unused = parse_filter.unused_event if parse_filter is not None else None
        self._buf = b""
        self._scan_from = 0  # no frame end before this offset of _buf
        # oversized-frame skipping state
        self._skipping = False
        self._skip_head = b""
        self._skip_size = 0

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete frame held until its end arrives."""
        return len(self._buf) + self._skip_size

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return every frame completed by them."""
        buf = self._buf + data if self._buf else bytes(data)
        out: list[Frame] = []
        pos = 0
        if self._skipping:
            pos = self._continue_skip(buf, out)
            if self._skipping:
                return out
        n = len(buf)
        search = _FRAME_END.search
        scan_from = self._scan_from
        max_frame = self.max_frame_bytes
        unused = self._unused
        while pos < n:
            if buf.startswith(BANNER_PREFIX, pos):
                eol = buf.find(b"\n", pos)
                if eol == -1:
                    break
                out.append(_banner_frame(buf[pos:eol + 1]))
                pos = eol + 1
                continue
            m = search(buf, pos if pos > scan_from else scan_from)
            if m is None:
                break
            end = m.end()
            if end - pos > max_frame:
                out.append(self._oversized(buf[pos:pos + OVERSIZED_KEEP_BYTES], end - pos))
            else:
                raw = buf[pos:end]
                if not raw.isspace():
                    name = unused(raw) if unused is not None else None
                    out.append(parse_frame(raw) if name is None else _unparsed_frame(raw, name))
            pos = end
        rest = buf[pos:]
        if len(rest) > max_frame:
            # too big to hold: keep a head for the journal and skip up to the frame's end
            self._skipping = True
            self._skip_head = rest[:OVERSIZED_KEEP_BYTES]
            self._skip_size = len(rest) - 2
            self._buf = rest[-2:]
            self._scan_from = 0
            return out
        self._buf = rest
        self._scan_from = max(0, len(rest) - 2)
        return out

    def _continue_skip(self, buf: bytes, out: list[Frame]) -> int:
        m = _FRAME_END.search(buf)
        if m is None:
            self._skip_size += max(0, len(buf) - 2)
            self._buf = buf[-2:]
            return len(buf)
        size = self._skip_size + m.end()
        out.append(self._oversized(self._skip_head, size))
        self._skipping = False
        self._skip_head = b""
        self._skip_size = 0
        self._buf = b""
        self._scan_from = 0
        return m.end()

    def _oversized(self, head: bytes, size: int) -> Frame:
        return Frame(pairs=[], fields={}, raw=head, status=STATUS_OVERSIZED,
                     error=f"oversized frame of {size} bytes (limit {self.max_frame_bytes}) skipped; "
                           f"first {len(head)} bytes kept")

    def close(self) -> list[Frame]:
        """End of stream: whatever incomplete frame remains is returned as `truncated`."""
        out: list[Frame] = []
        if self._skipping:
            out.append(Frame(pairs=[], fields={}, raw=self._skip_head, status=STATUS_TRUNCATED,
                             error=f"stream ended inside an oversized frame after {self._skip_size} bytes"))
        elif self._buf and not self._buf.isspace():
            out.append(Frame(pairs=[], fields={}, raw=self._buf, status=STATUS_TRUNCATED,
                             error=f"stream ended inside a frame ({len(self._buf)} bytes, no blank line)"))
        self._buf = b""
        self._scan_from = 0
        self._skipping = False
        self._skip_head = b""
        self._skip_size = 0
        return out


def parse_all(raw: bytes) -> list[Frame]:
    """Split and parse a whole byte stream (several connections may follow each other:
    every banner is its own frame). Used by the benchmark, the replay and tests.

    The cyclic garbage collector is paused meanwhile: the frames hold no reference cycles,
    and with hundreds of thousands of new objects kept alive, its repeated full passes would
    otherwise double the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        splitter = FrameSplitter()
        frames = splitter.feed(raw)
        frames.extend(splitter.close())
    finally:
        if was_enabled:
            gc.enable()
    return frames


def format_action(action: dict) -> bytes:
    """Serialize an action for the wire, keeping the caller's key order. A list or tuple
    value gives one line per item (e.g. several `Variable:` lines). Raises ValueError for a
    key or value holding CR, LF or NUL (header injection), or a key holding `:`."""
    lines: list[str] = []
    for key, value in action.items():
        key_s = str(key)
        if not key_s or any(c in key_s for c in "\r\n\0:") or key_s != key_s.strip():
            raise ValueError(f"invalid AMI header name {key_s!r}")
        values = value if isinstance(value, (list, tuple)) else (value,)
        for item in values:
            if item is None:
                raise ValueError(f"AMI header {key_s!r} has no value")
            text = str(item)
            if any(c in text for c in "\r\n\0"):
                raise ValueError(f"AMI header {key_s!r} value contains CR, LF or NUL")
            lines.append(f"{key_s}: {text}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
