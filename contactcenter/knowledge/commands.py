"""Knowledge-base verbs: `contactcenter kb seed | search QUERY | eval`."""
from __future__ import annotations

import json


def register(sub, common) -> None:
    p = sub.add_parser("kb", parents=[common], help="knowledge base: seed, search, evaluate")
    verbs = p.add_subparsers(dest="kb_command", required=True, metavar="VERB")
    seed = verbs.add_parser("seed", parents=[common], help="load the shipped articles (idempotent)")
    seed.set_defaults(func=_seed)
    find = verbs.add_parser("search", parents=[common], help="search the knowledge base as an operator would")
    find.add_argument("query", help="what the caller asks about, e.g. 医保报销")
    find.add_argument("--limit", type=int, default=5, help="how many answers (1-100, default 5)")
    find.add_argument("--current-only", action="store_true", help="leave expired articles out")
    find.add_argument("--format", choices=("table", "jsonl"), default="table")
    find.set_defaults(func=_search)
    ev = verbs.add_parser("eval", parents=[common], help="recall@5 and MRR on the labelled queries")
    ev.add_argument("--show-misses", action="store_true", help="list the queries that missed")
    ev.set_defaults(func=_eval)


def _url(args) -> str:
    from contactcenter import db
    from contactcenter.cli import settings_from

    url = settings_from(args).db_url
    db.ensure_schema(url)
    return url


def _seed(args) -> int:
    from contactcenter import db
    from contactcenter.knowledge.service import seed_articles

    with db.session_scope(_url(args)) as session:
        added = seed_articles(session)
    print(f"knowledge base: {added} article(s) added")
    return 0


def _search(args) -> int:
    from contactcenter import db
    from contactcenter.cli import CliError, settings_from
    from contactcenter.knowledge.service import search, site_today

    if not 1 <= args.limit <= 100:
        raise CliError("--limit must be between 1 and 100")
    today = site_today(settings_from(args).site_timezone)  # expiry by the site's calendar day
    try:
        with db.session_scope(_url(args)) as session:
            hits = search(session, args.query, limit=args.limit, include_expired=not args.current_only,
                          today=today)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.format == "jsonl":
        for h in hits:
            print(json.dumps({"article_id": h.article_id, "title": h.title, "score": round(h.score, 4),
                              "expired": h.expired, "not_yet_effective": h.not_yet_effective,
                              "effective_on": h.effective_on.isoformat() if h.effective_on else None,
                              "issuing_body": h.issuing_body,
                              "snippet_html": h.snippet_html}, ensure_ascii=False))
        return 0
    if not hits:
        print("no matching article")
    for rank, h in enumerate(hits, 1):
        flag = " [已失效]" if h.expired else f" [{h.effective_on} 起施行]" if h.not_yet_effective else ""
        print(f"{rank:>2}. #{h.article_id} {h.title}{flag}  ({h.issuing_body}, score {h.score:.3f})")
        print(f"    {_terminal_snippet(h.snippet_html)}")
    return 0


def _terminal_snippet(snippet_html: str) -> str:
    """The highlighted snippet for a terminal: matches in 【】 instead of <mark>, entities undone."""
    import html

    return html.unescape(snippet_html.replace("<mark>", "【").replace("</mark>", "】"))


def _eval(args) -> int:
    from contactcenter import db
    from contactcenter.knowledge.evaluate import evaluate, load_labelled_queries
    from contactcenter.knowledge.models import KnowledgeArticle
    from contactcenter.knowledge.service import seed_articles
    from sqlalchemy import func, select

    with db.session_scope(_url(args)) as session:
        if not session.scalar(select(func.count()).select_from(KnowledgeArticle).where(KnowledgeArticle.ref.is_not(None))):
            seed_articles(session)
    with db.session_scope(_url(args)) as session:
        result = evaluate(session, load_labelled_queries())
    print(f"queries {result.queries}  recall@{result.k} {result.recall_at_k:.3f}  MRR {result.mrr:.3f}")
    if args.show_misses:
        for miss in result.misses:
            print(f"  miss: {miss['query']}  want {','.join(miss['relevant'])}  rank {miss['rank']}  got {','.join(map(str, miss['got']))}")
    return 0
