"""Search terms of work orders: what is indexed for an order and what an operator's search asks
for, by the same rules. Pure functions, no database.

An operator searches the way they would search a page: 路灯 should find "路灯不亮了", 堂邑 the
orders from 堂邑镇, 公积金 "住房公积金提取". jieba's cut of an order's text does not give that
(路灯不亮 comes out as 路 / 灯不亮), so the Chinese of an order is indexed as the overlapping
pairs of characters of each run (路灯, 灯不, 不亮): any two characters that stand together in the
text. Letters and digits are indexed as whole words (wifi6, 5g). Text is normalised first
(full-width to half-width, case folded, invisible format characters removed).

A search is cut into pieces: the knowledge base's segmenter's words, a long word into the
dictionary words that make it up (提取公积金 → 提取 + 公积金), filler words taken out (小区*的*
电梯). Each piece asks for its pairs, and a lone character for the pair with its neighbour (朝城镇
→ 朝城 + 城镇, so 观城镇 is not found). An order matches when it holds every pair; pieces need not
stand next to each other, so 小区的电梯 finds "小区电梯坏了" and 提取公积金 "公积金提取".
"""
from __future__ import annotations

import re
import unicodedata

from contactcenter.knowledge.search import SEGMENTER, inner_words, normalise

# a term longer than this (a pasted URL, a long digit run) is cut to it, in orders and queries alike
MAX_TERM = 40
# a search asks for at most this many terms, taken piece by piece in turn (a place, then the
# subject, are both kept): each is a join, and a pasted paragraph would otherwise cost seconds
MAX_QUERY_TERMS = 8

# Filler an operator types around what they look for. Smaller than the knowledge base's list on
# purpose: 不 and 没 carry a complaint (不亮, 不热, 没气), and 问题 or 想 can be part of a name.
FILLER = frozenset(
    """的 了 吗 嘛 呢 啊 吧 呀 哦 么 着 我 你 他 她 它 我们 你们 他们 是 在 就 都 也 还 很 太 把 被 给 这 那
    这个 那个 请问 请 问 问下 问一下 一下 怎么 怎么办 怎样 怎么样 如何 咋 咋办 什么 啥 哪 哪里 哪儿 为什么
    为啥 能否 可以 能不能 是不是 有没有 一直 老是 总是 反映 投诉 举报 咨询 帮忙 帮我""".split())

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"[{_CJK}]+|[^\W{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


def _clean(text: str) -> str:
    # zero-width spaces, soft hyphens and the like (pasted SMS and web text) would split the pairs
    return "".join(c for c in normalise(text) if unicodedata.category(c) != "Cf")


class NoSearchTerms(ValueError):
    """The search text holds nothing to look for (only punctuation, stop words, lone characters)."""


def _pairs(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def order_terms(*parts: str | None) -> list[str]:
    """The terms an order is found by, each once, in text order: the character pairs of every
    Chinese run and every run of letters and digits (cut to MAX_TERM). A lone Chinese character
    is no term: a search never asks for one."""
    terms: dict[str, None] = {}
    for part in parts:
        if not part:
            continue
        for run in _RUN.findall(_clean(part)):
            for term in _pairs(run) if _IS_CJK.match(run) else [run[:MAX_TERM]]:
                terms[term] = None
    return list(terms)


def _pieces(run: str) -> list[str | None]:
    """A Chinese run of a search as pieces, None where filler was taken out: the segmenter's words,
    a word of three characters or more split by `_cover`. The segmenter's lone characters stay
    lone pieces (朝 / 城镇: 朝 is paired by `_piece_terms`)."""
    pieces: list[str | None] = []
    for word in SEGMENTER.words(run):
        if word in FILLER:
            pieces.append(None)
        elif len(word) < 3:
            pieces.append(word)
        else:
            pieces.extend(_cover(word))
    return pieces


def _cover(word: str) -> list[str]:
    """`word` as the dictionary words inside it (longest first, not overlapping), with the
    characters none covers as pieces of their own; a single such character keeps the character
    before it (or after it) in the word, so 东昌府区 gives 东昌府 + 府区, never a pair across words."""
    taken = [False] * len(word)
    spans = []
    for inner in inner_words(word):  # longest first
        start = word.find(inner)
        while start >= 0 and any(taken[start:start + len(inner)]):
            start = word.find(inner, start + 1)
        if start >= 0:
            taken[start:start + len(inner)] = [True] * len(inner)
            spans.append((start, start + len(inner)))
    i = 0
    while i < len(word):
        if taken[i]:
            i += 1
            continue
        end = i
        while end < len(word) and not taken[end]:
            end += 1
        spans.append((i - 1, end) if end - i == 1 and i > 0 else (i, end + (end - i == 1)))
        i = end
    return [word[a:b] for a, b in sorted(spans)]


def _piece_terms(pieces: list[str | None]) -> list[list[str]]:
    """The pairs each piece asks for; a lone character pairs with the piece after it, or else the
    one before it, never across filler; with neither, it asks for nothing."""
    out = []
    for i, piece in enumerate(pieces):
        if piece is None:
            continue
        if len(piece) > 1:
            out.append(_pairs(piece))
        elif i + 1 < len(pieces) and pieces[i + 1]:
            out.append([piece + pieces[i + 1][0]])
        elif i > 0 and pieces[i - 1]:
            out.append([pieces[i - 1][-1] + piece])
    return out


def query_terms(text: str) -> list[str]:
    """The terms a search asks for (an order must hold every one), at most MAX_QUERY_TERMS, taken
    from each piece in turn. Raises NoSearchTerms when there is nothing to look for."""
    groups: list[list[str]] = []
    for run in _RUN.findall(_clean(text)):
        groups.extend(_piece_terms(_pieces(run)) if _IS_CJK.match(run) else [[run[:MAX_TERM]]])
    terms: dict[str, None] = {}
    depth = 0
    while len(terms) < MAX_QUERY_TERMS and any(depth < len(g) for g in groups):
        for group in groups:
            if depth < len(group) and len(terms) < MAX_QUERY_TERMS:
                terms[group[depth]] = None
        depth += 1
    if not terms:
        raise NoSearchTerms("请输入至少两个字的关键词（“的”“怎么”之类的虚词和单个字不算）")
    return list(terms)
