"""Chinese text processing for knowledge-base search: pure functions, no database.

- `normalise`: NFKC (full-width letters, digits and punctuation become half-width) and case folding,
  applied alike to what is indexed and to what an operator types.
- `index_terms`: jieba segmentation in search-engine mode: each word plus every dictionary word inside
  it, of any length, so 社保 finds 社保卡 and 医疗保险 finds 城乡居民基本医疗保险.
- `parse_query`: the operator's words, stop words dropped, each expanded with its synonym group.
- `fts5_match` / `pg_tsquery`: the same parsed query written for SQLite FTS5 and PostgreSQL.
- `highlight`: an HTML snippet of the text around the hits, escaped piece by piece with <mark> around
  the hits, so article text can never inject markup.
"""
from __future__ import annotations

import html
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

# Words an operator types around the subject ("社保卡怎么办理啊") that carry no topic.
QUERY_STOPWORDS = frozenset(
    """的 了 吗 嘛 呢 啊 吧 呀 哦 么 是 有 在 和 与 及 或 我 你 他 她 它 我们 想 要 想要 需要 能 能否 可以 可不可以
    能不能 是不是 有没有 会 该 应该 怎么 怎么办 怎样 怎么样 如何 咋 咋办 咋弄 哪 哪里 哪儿 在哪 在哪里 什么 啥
    多少 几 多久 请问 问 问下 问一下 一下 咨询 办 办理 弄 去 给 把 被 对 从 到 吧 个 些 这 那 这个 那个 还 就 都 也
    不 没 没有 了解 知道 告诉 问题 情况 事 事情 能管 谁管 找谁 为啥
    为什么 咋回事 咋样 行不行 行吗 好 多长时间 一般 很 太 特别 老是 总是 突然 没人 没人管 不管 一直 来 出""".split()
)

_WORD_CHARS = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC) and case folding: 'ＥＴＣ１２３' → 'etc123'."""
    return unicodedata.normalize("NFKC", text).casefold()


def _load_lines(name: str) -> list[str]:
    path = DATA_DIR / name
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def load_synonyms() -> dict[str, tuple[str, ...]]:
    """term → its whole group (the term included), from data/synonyms.txt."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _load_lines("synonyms.txt"):
        group = tuple(dict.fromkeys(normalise(t) for t in line.split()))
        for term in group:
            # a term in two groups gets the union, so no direction is lost
            table[term] = tuple(dict.fromkeys(table.get(term, ()) + group))
    return table


class _Segmenter:
    """A private jieba tokenizer with the hotline words added (jieba's global one is left alone so
    other areas segmenting text are not affected). Loaded once, on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer = None
        self.synonyms: dict[str, tuple[str, ...]] = {}

    def _ready(self):
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import logging

                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    synonyms = load_synonyms()
                    words = [normalise(w) for w in _load_lines("dictionary.txt")] + list(synonyms)
                    for word in words:
                        # a frequency high enough that the precise cut keeps the word whole
                        tokenizer.add_word(word, freq=max(tokenizer.FREQ.get(word) or 0, 2000))
                    self.synonyms = synonyms
                    self._tokenizer = tokenizer
        return self._tokenizer

    def words(self, text: str) -> list[str]:
        """Precise-mode words of already normalised text, reduced to letters, digits and CJK."""
        tokenizer = self._ready()
        out = []
        for word in tokenizer.cut(text, HMM=False):
            out.extend(_WORD_CHARS.findall(word))
        return out

    def is_word(self, word: str) -> bool:
        return bool(self._ready().FREQ.get(word))

    def frequency(self, word: str) -> int:
        return self._ready().FREQ.get(word) or 0

    def synonyms_of(self, term: str) -> tuple[str, ...]:
        self._ready()
        return self.synonyms.get(term, (term,))


SEGMENTER = _Segmenter()


def inner_words(word: str) -> list[str]:
    """Dictionary words strictly inside a CJK word, longest first (search-engine mode, all lengths)."""
    found = []
    n = len(word)
    for length in range(n - 1, 1, -1):
        for start in range(0, n - length + 1):
            part = word[start:start + length]
            if SEGMENTER.is_word(part):
                found.append(part)
    return found


def index_terms(text: str) -> str:
    """The space-joined terms stored for one field: every word and every dictionary word inside it."""
    terms: list[str] = []
    for word in SEGMENTER.words(normalise(text)):
        terms.append(word)
        if len(word) > 2 and _CJK.match(word):
            terms.extend(inner_words(word))
    return " ".join(terms)


@dataclass(frozen=True)
class QueryGroup:
    """One thing the operator asked for: any of `terms` matches; `prefix` terms match as a word start
    (a lone character such as 报 in 医保咋报 should still find 报销). `split` is one more alternative
    for a compound the articles may write apart (医保报销 → 医保 … 报销): all of its parts, each with
    its synonyms."""

    terms: tuple[str, ...]
    prefix: bool = False
    split: tuple[tuple[str, ...], ...] = ()
    split_prefixes: tuple[str, ...] = ()  # lone characters of the split, matched as word starts


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[QueryGroup, ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    def highlight_terms(self) -> list[str]:
        """Terms to mark in snippets, longest first. A lone-character prefix is marked only when the
        query has nothing else (marking every 保 in a text helps nobody)."""
        whole = [g for g in self.groups if not g.prefix] or list(self.groups)
        terms = {t for g in whole for t in g.terms}
        terms.update(t for g in whole for part in g.split for t in part if t not in g.split_prefixes)
        # ties in length in text order: a set's order changes with each process's string hashing,
        # and of two overlapping terms the first one is marked
        return sorted(terms, key=lambda t: (-len(t), t))


def _split_compound(word: str) -> list[str]:
    """The best cut of a compound into two or more shorter words (jieba's own cut of each side,
    fewest lone characters first), stop words left out; [] when no part of two characters is left."""
    best: tuple | None = None
    for i in range(1, len(word)):
        parts = SEGMENTER.words(word[:i]) + SEGMENTER.words(word[i:])
        singles = sum(1 for p in parts if len(p) == 1)
        weight = sum(SEGMENTER.frequency(p) for p in parts if len(p) > 1)
        key = (singles, len(parts), -weight)
        if best is None or key < best[0]:
            best = (key, parts)
    if best is None:
        return []
    parts = [p for p in best[1] if p not in QUERY_STOPWORDS]
    return parts if any(len(p) > 1 for p in parts) else []


def parse_query(text: str) -> ParsedQuery:
    """Operator input → groups of alternative terms. Stop words go; a word in the synonym table
    brings its group; a lone character is kept as a prefix; a compound of three characters or more
    may also match its parts; duplicate groups are dropped."""
    words = [w for w in SEGMENTER.words(normalise(text)) if w not in QUERY_STOPWORDS]
    groups: list[QueryGroup] = []
    seen: set[tuple[str, ...]] = set()
    for word in words:
        synonyms = SEGMENTER.synonyms_of(word)
        if len(synonyms) == 1 and len(word) == 1 and _CJK.match(word):
            group = QueryGroup((word,), prefix=True)
        else:
            split: tuple[tuple[str, ...], ...] = ()
            prefixes: tuple[str, ...] = ()
            if len(word) >= 3 and _CJK.match(word):
                parts = _split_compound(word)
                if parts:
                    split = tuple(SEGMENTER.synonyms_of(p) for p in parts)
                    prefixes = tuple(p for p in parts if len(p) == 1 and len(SEGMENTER.synonyms_of(p)) == 1)
            group = QueryGroup(synonyms, split=split, split_prefixes=prefixes if split else ())
        if group.terms not in seen:
            seen.add(group.terms)
            groups.append(group)
    return ParsedQuery(tuple(groups))


def _render(query: ParsedQuery, all_groups: bool, quote, prefix, and_, or_) -> str:
    parts = []
    for group in query.groups:
        alternatives = [prefix(t) if group.prefix else quote(t) for t in group.terms]
        if group.split:
            alternatives.append("(" + and_.join(
                "(" + or_.join(prefix(t) if part == (t,) and t in group.split_prefixes else quote(t) for t in part) + ")"
                for part in group.split) + ")")
        parts.append("(" + or_.join(alternatives) + ")")
    return (and_ if all_groups else or_).join(parts)


def fts5_match(query: ParsedQuery, all_groups: bool = True) -> str:
    """An FTS5 MATCH expression. Terms are double-quoted strings holding only letters, digits and CJK,
    so operator input can never be read as FTS5 syntax."""
    return _render(query, all_groups, lambda t: f'"{t}"', lambda t: f'"{t}"*', " AND ", " OR ")


def pg_tsquery(query: ParsedQuery, all_groups: bool = True) -> str:
    """A tsquery text for to_tsquery('simple', ...); lexemes are quoted and hold only word characters."""
    return _render(query, all_groups, lambda t: f"'{t}'", lambda t: f"'{t}':*", " & ", " | ")


class _CharTable(dict):
    """code point → that character normalised, for str.translate, filled on first sight (at most one
    entry per distinct character). Characters whose normalised form is not exactly one character
    ('㎡' → 'm2') are also put in `uneven`."""

    def __init__(self) -> None:
        super().__init__()
        self.uneven: set[str] = set()

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        n = normalise(ch)
        if len(n) != 1:
            self.uneven.add(ch)
        self[code] = n
        return n


_CHARS = _CharTable()


def _normalised_with_map(text: str) -> tuple[str, "list[int] | range"]:
    """Normalise character by character, remembering which original character each output came from
    (NFKC can change lengths: '㎡' → 'm2')."""
    # snippets run this over ten bodies per search: translate() and the set test run in C, and
    # with every character mapping to one the map is the identity
    norm = text.translate(_CHARS)
    if _CHARS.uneven.isdisjoint(text):
        return norm, range(len(text))
    origin: list[int] = []
    for i, ch in enumerate(text):
        origin.extend([i] * len(_CHARS[ord(ch)]))
    return norm, origin


def hit_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping [start, end) spans of the original text where any term occurs (longest first)."""
    norm, origin = _normalised_with_map(text)
    taken = [False] * len(text)
    spans = []
    for term in terms:
        if not term:
            continue
        start = norm.find(term)
        while start != -1:
            a, b = origin[start], origin[start + len(term) - 1] + 1
            if not any(taken[a:b]):
                spans.append((a, b))
                for k in range(a, b):
                    taken[k] = True
            start = norm.find(term, start + len(term))
    return sorted(spans)


def mark(text: str, spans: list[tuple[int, int]]) -> str:
    """Escape every piece of `text`, wrapping the spans in <mark>. Escaping happens on the original
    pieces, never on markup, so neither the article nor a term can inject HTML."""
    out = []
    pos = 0
    for a, b in spans:
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


def highlight(text: str, terms: list[str], width: int = 90) -> str:
    """The `width`-character window of `text` holding the most hits, as safe HTML with <mark> tags and
    '…' where text was cut. Without hits, the start of the text."""
    text = " ".join(text.split())
    spans = hit_spans(text, terms)
    if len(text) <= width:
        return mark(text, spans)
    best_start, best_count = 0, 0
    for a, _ in spans:
        start = max(0, min(a - width // 4, len(text) - width))
        count = sum(1 for s, e in spans if s >= start and e <= start + width)
        if count > best_count:
            best_start, best_count = start, count
    end = best_start + width
    inside = [(max(s, best_start) - best_start, min(e, end) - best_start) for s, e in spans if s < end and e > best_start]
    snippet = mark(text[best_start:end], inside)
    return ("…" if best_start > 0 else "") + snippet + ("…" if end < len(text) else "")
