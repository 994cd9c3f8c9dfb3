"""Builds articles.json and queries.json from the compact topic sheets in topics_*.txt.

Run `python contactcenter/knowledge/data/build_articles.py` after editing a sheet. Sheet format:

    @prefix|category|default issuing body|closing line added to every answer of the topic
    title|keywords (、)|effective[~expiry]|answer|queries (；) that should find this answer|issuing body (optional)

Each article gets the stable ref `<prefix>-<nnn>` (its position in the topic: only ever append).
A query listed under several articles is relevant to all of them.
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build() -> tuple[list[dict], dict[str, list[str]]]:
    articles: list[dict] = []
    queries: dict[str, list[str]] = {}
    counters: dict[str, int] = {}  # a prefix may come back in a later sheet; its numbers carry on
    for sheet in sorted(HERE.glob("topics_*.txt")):
        topic = None
        for number, line in enumerate(sheet.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@"):
                prefix, category, issuer, closing = line[1:].split("|")
                topic = {"prefix": prefix, "category": category, "issuer": issuer, "closing": closing}
                continue
            fields = line.split("|")
            if topic is None or len(fields) not in (5, 6):
                raise SystemExit(f"{sheet.name}:{number}: expected 5 or 6 fields, got {len(fields)}")
            title, keywords, dates, answer, asked = fields[:5]
            counters[topic["prefix"]] = counters.get(topic["prefix"], 0) + 1
            ref = f"{topic['prefix']}-{counters[topic['prefix']]:03d}"
            effective, _, expires = dates.partition("~")
            body = answer.strip()
            if topic["closing"]:
                body += "\n" + topic["closing"]
            articles.append({
                "ref": ref, "title": title.strip(), "body": body, "category": topic["category"],
                "keywords": [k for k in keywords.split("、") if k],
                "issuing_body": (fields[5].strip() if len(fields) == 6 else "") or topic["issuer"],
                "effective_on": effective or None, "expires_on": expires or None,
            })
            for q in (q.strip() for q in asked.split("；")):
                if q:
                    queries.setdefault(q, []).append(ref)
    return articles, queries


def main() -> None:
    articles, queries = build()
    refs = [a["ref"] for a in articles]
    assert len(refs) == len(set(refs))
    titles = [a["title"] for a in articles]
    dup = {t for t in titles if titles.count(t) > 1}
    assert not dup, f"duplicate titles: {dup}"
    (HERE / "articles.json").write_text(json.dumps(articles, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    labelled = [{"query": q, "relevant": r} for q, r in queries.items()]
    (HERE / "queries.json").write_text(json.dumps(labelled, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(articles)} articles, {len(labelled)} labelled queries")


if __name__ == "__main__":
    main()
