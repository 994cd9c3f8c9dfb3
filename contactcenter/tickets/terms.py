"""Search terms of work orders: what is indexed for an order and what an operator's search asks
for, by the same rules. Pure functions, no database.

An operator searches the way they would search a page: 路灯 should find "路灯不亮了", 堂邑 the
orders from 堂邑镇, 公积金 "住房公积金提取". jieba's cut of an order's text does not give that
(路灯不亮 comes out as 路 / 灯不亮), so the Chinese of an order is indexed as the overlapping
pairs of characters of each run (路灯, 灯不, 不亮): any two characters that stand together in the
text. Letters and digits are indexed as whole words (wifi6, 5g). Text is normalised first
(full-width to half-width, case folded), as the knowledge base does.

A search is cut into words with the knowledge base's segmenter and stop words (小区*的*电梯),
then each Chinese word into its pairs: an order matches when it holds every pair, so 小区的电梯
finds "小区电梯坏了", and the words need not stand next to each other.
"""
from __future__ import annotations

import re

from contactcenter.knowledge.search import QUERY_STOPWORDS, SEGMENTER, normalise

# a term longer than this (a pasted URL, a long digit run) is cut to it, in orders and queries alike
MAX_TERM = 40
# a search asks for at most this many terms (those of its first words): each is a join, and a
# pasted paragraph would otherwise cost seconds to plan while saying no more than its start
MAX_QUERY_TERMS = 8

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"[{_CJK}]+|[^\W{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


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
        for run in _RUN.findall(normalise(part)):
            for term in _pairs(run) if _IS_CJK.match(run) else [run[:MAX_TERM]]:
                terms[term] = None
    return list(terms)


def _query_words(run: str) -> list[str]:
    """The words of a Chinese run, stop words left out; lone characters next to each other are
    put back together (a place name the dictionary lacks, 堂邑, comes out as 堂 / 邑)."""
    words: list[str] = []
    loose = ""
    for word in SEGMENTER.words(run):
        if len(word) == 1 and word not in QUERY_STOPWORDS:
            loose += word
            continue
        if loose:
            words.append(loose)
            loose = ""
        if word not in QUERY_STOPWORDS:
            words.append(word)
    return words + [loose] if loose else words


def query_terms(text: str) -> list[str]:
    """The terms a search asks for (an order must hold every one), at most MAX_QUERY_TERMS.
    Raises NoSearchTerms when there is nothing to look for."""
    terms: dict[str, None] = {}
    for run in _RUN.findall(normalise(text)):
        if not _IS_CJK.match(run):
            terms[run[:MAX_TERM]] = None
            continue
        for word in _query_words(run):
            terms.update(dict.fromkeys(_pairs(word)))  # a lone character says too little
    if not terms:
        raise NoSearchTerms("search text needs a word of two Chinese characters or more, or of letters or digits")
    return list(terms)[:MAX_QUERY_TERMS]
