"""Knowledge-base service: articles in the database and search over them.

The panel (and the `kb` commands) call these functions with a SQLAlchemy session; nothing here knows
about Flask or HTTP. Text processing lives in `search.py`; this module only stores and queries.

Errors: `ArticleInvalid` (a ValueError with `.errors`, field → message, for form display) and
`ArticleNotFound` (a LookupError).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, select, text
from sqlalchemy import column as sa_column
from sqlalchemy.orm import Session

from contactcenter.knowledge import search as kb_text
from contactcenter.knowledge.models import ARTICLE_STATUSES, KnowledgeArticle

SITE_TZ = ZoneInfo("Asia/Shanghai")
TITLE_MAX = 200
BODY_MAX = 20000
CATEGORY_MAX = 40
ISSUING_BODY_MAX = 120
KEYWORDS_MAX = 400
QUERY_MAX = 100

# Column weights: a hit in the title counts most, then the keywords, then the body.
# SQLite bm25() takes one weight per FTS column; PostgreSQL ts_rank takes {D, C, B, A}.
SQLITE_WEIGHTS = (10.0, 4.0, 1.0)
PG_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
PG_NORMALISATION = 0
PG_IDF_SCALE = 0.1  # chosen on the labelled set: 0.05–0.2 all reach recall@5 ≥ 0.97


class ArticleInvalid(ValueError):
    """The article cannot be saved; `errors` maps each bad field to a message for the operator."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class ArticleNotFound(LookupError):
    """No article with that id."""


@dataclass(frozen=True)
class Hit:
    """One search result. `snippet_html` and `title_html` are safe HTML (escaped text, <mark> around
    hits); `score` is higher-is-better relevance, comparable within one result list only."""

    article_id: int
    title: str
    snippet_html: str
    score: float
    expired: bool
    issuing_body: str
    title_html: str = ""
    category: str = ""
    expires_on: dt.date | None = None
    effective_on: dt.date | None = None
    # published ahead of its effective date: the answer for later, not yet for the caller today
    not_yet_effective: bool = False


@dataclass(frozen=True)
class Article:
    """An article as the panel shows and edits it (`expired` and `not_yet_effective` as of the day
    it was read)."""

    id: int
    ref: str | None
    title: str
    body: str
    category: str
    keywords: tuple[str, ...]
    issuing_body: str
    effective_on: dt.date | None
    expires_on: dt.date | None
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    expired: bool
    not_yet_effective: bool = False


def site_today(tz: str | dt.tzinfo = SITE_TZ) -> dt.date:
    """Today in the hotline's time zone (articles take effect and expire by local calendar day);
    callers that know the configured zone (the panel, the CLI) pass it."""
    return dt.datetime.now(ZoneInfo(tz) if isinstance(tz, str) else tz).date()


def is_expired(expires_on: dt.date | None, today: dt.date) -> bool:
    """An article is expired from the day after its expiry date."""
    return expires_on is not None and expires_on < today


def is_not_yet_effective(effective_on: dt.date | None, today: dt.date) -> bool:
    """An article takes effect on its effective date (a policy published ahead of it)."""
    return effective_on is not None and effective_on > today


def _view(row: KnowledgeArticle, today: dt.date) -> Article:
    return Article(
        id=row.id, ref=row.ref, title=row.title, body=row.body, category=row.category,
        keywords=tuple(k for k in row.keywords.split("、") if k), issuing_body=row.issuing_body,
        effective_on=row.effective_on, expires_on=row.expires_on, status=row.status,
        created_at=row.created_at, updated_at=row.updated_at, expired=is_expired(row.expires_on, today),
        not_yet_effective=is_not_yet_effective(row.effective_on, today),
    )


_KEYWORD_SPLIT = re.compile(r"[\s,，、;；/]+")


def _keywords(value) -> list[str]:
    if value is None:
        return []
    items = _KEYWORD_SPLIT.split(value) if isinstance(value, str) else [str(v).strip() for v in value]
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


def _date(value, field: str, errors: dict[str, str]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        errors[field] = "请填写日期（不含时间）"
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD"
        return None


def validate_article(fields: dict) -> dict:
    """Check and clean the editable fields; raises ArticleInvalid listing every problem at once."""
    errors: dict[str, str] = {}
    clean: dict = {}
    for name, label, limit in (("title", "标题", TITLE_MAX), ("body", "正文", BODY_MAX),
                               ("category", "分类", CATEGORY_MAX), ("issuing_body", "发文机关", ISSUING_BODY_MAX)):
        value = fields.get(name)
        value = "" if value is None else str(value).strip()
        if not value:
            errors[name] = f"{label}不能为空"
        elif len(value) > limit:
            errors[name] = f"{label}不能超过{limit}个字（现有{len(value)}个）"
        elif name == "title" and "\n" in value:
            errors[name] = "标题不能换行"
        clean[name] = value
    words = _keywords(fields.get("keywords"))
    joined = "、".join(words)
    if len(joined) > KEYWORDS_MAX:
        errors["keywords"] = f"关键词合计不能超过{KEYWORDS_MAX}个字"
    clean["keywords"] = joined
    clean["effective_on"] = _date(fields.get("effective_on"), "effective_on", errors)
    clean["expires_on"] = _date(fields.get("expires_on"), "expires_on", errors)
    if clean["effective_on"] and clean["expires_on"] and clean["expires_on"] <= clean["effective_on"]:
        errors["expires_on"] = "失效日期必须晚于生效日期"
    status = fields.get("status") or "published"
    if status not in ARTICLE_STATUSES:
        errors["status"] = f"状态只能是 {', '.join(ARTICLE_STATUSES)}"
    clean["status"] = status
    ref = fields.get("ref")
    if ref is not None and (not isinstance(ref, str) or not re.fullmatch(r"[a-z0-9-]{1,40}", ref)):
        errors["ref"] = "编号只能由小写字母、数字和连字符组成（至多40个）"
    clean["ref"] = ref
    if errors:
        raise ArticleInvalid(errors)
    return clean


def _index(row: KnowledgeArticle) -> None:
    """Refresh the stored terms; the database triggers / generated column update the index from them."""
    row.title_terms = kb_text.index_terms(row.title)
    row.keyword_terms = kb_text.index_terms(row.keywords.replace("、", " "))
    row.body_terms = kb_text.index_terms(row.body)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.timezone.utc)


def create_article(session: Session, *, title: str, body: str, category: str, issuing_body: str,
                   keywords=(), effective_on=None, expires_on=None, status: str = "published",
                   ref: str | None = None, now: dt.datetime | None = None,
                   today: dt.date | None = None) -> Article:
    """Validate and add an article (indexed at once; visible to search after the session commits in
    other sessions, at once in this one). Dates may be `date` or 'YYYY-MM-DD'. Raises ArticleInvalid."""
    clean = validate_article(dict(title=title, body=body, category=category, issuing_body=issuing_body,
                                  keywords=keywords, effective_on=effective_on, expires_on=expires_on,
                                  status=status, ref=ref))
    if clean["ref"] is not None and session.scalar(select(KnowledgeArticle.id).where(KnowledgeArticle.ref == clean["ref"])):
        raise ArticleInvalid({"ref": f"编号 {clean['ref']} 已存在"})
    stamp = _now(now)
    row = KnowledgeArticle(**clean, created_at=stamp, updated_at=stamp)
    _index(row)
    session.add(row)
    session.flush()
    return _view(row, today or site_today())


def _row(session: Session, article_id: int | str) -> KnowledgeArticle:
    try:
        key = int(article_id)
    except (TypeError, ValueError):
        key = None
    row = session.get(KnowledgeArticle, key) if key is not None else None
    if row is None:
        raise ArticleNotFound(f"知识库中没有编号为 {article_id} 的文章")
    return row


def get_article(session: Session, article_id: int, today: dt.date | None = None) -> Article:
    """One article by id, whatever its status. Raises ArticleNotFound."""
    return _view(_row(session, article_id), today or site_today())


EDITABLE = ("title", "body", "category", "issuing_body", "keywords", "effective_on", "expires_on", "status")


def update_article(session: Session, article_id: int, *, now: dt.datetime | None = None,
                   today: dt.date | None = None, **changes) -> Article:
    """Change some fields (any of EDITABLE); the whole resulting article is validated and re-indexed.
    Raises ArticleNotFound, ArticleInvalid (also for an unknown field name)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ArticleInvalid({name: "不能修改这个字段" for name in unknown})
    row = _row(session, article_id)
    current = {name: getattr(row, name) for name in EDITABLE}
    current.update(changes)
    clean = validate_article(current)
    clean.pop("ref")
    for name, value in clean.items():
        setattr(row, name, value)
    row.updated_at = _now(now)
    _index(row)
    session.flush()
    return _view(row, today or site_today())


def archive_article(session: Session, article_id: int, now: dt.datetime | None = None) -> None:
    """Take an article out of search but keep it (status 'archived'). Raises ArticleNotFound."""
    row = _row(session, article_id)
    row.status = "archived"
    row.updated_at = _now(now)
    session.flush()


def delete_article(session: Session, article_id: int) -> None:
    """Delete an article and its index entry. Raises ArticleNotFound."""
    session.delete(_row(session, article_id))
    session.flush()


def list_articles(session: Session, *, category: str | None = None, status: str | None = None,
                  limit: int = 50, offset: int = 0, today: dt.date | None = None) -> list[Article]:
    """Articles newest-updated first, optionally one category / status (for the editor's list)."""
    stmt = select(KnowledgeArticle).order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc())
    if category:
        stmt = stmt.where(KnowledgeArticle.category == category)
    if status:
        stmt = stmt.where(KnowledgeArticle.status == status)
    day = today or site_today()
    return [_view(r, day) for r in session.scalars(stmt.limit(max(1, min(limit, 500))).offset(max(0, offset)))]


# The fill after the "every word" matches (articles holding some of the query's words) is looked for
# among the articles holding its rarer groups: a group held by more than FALLBACK_GROUP_MAX articles
# (办理, a lone 年…) brings no article in by itself (on PostgreSQL it still counts in the score of those
# brought in; SQLite's bm25 then ranks on the rarer groups), so the fill does not rank most of a large
# knowledge base (bm25 / ts_rank over tens of thousands of rows). When every group is that common, the
# rarest one brings the partial matches in. With at most that many articles every group takes part.
FALLBACK_GROUP_MAX = 1000
# PostgreSQL's idf needs each group's document frequency: exact with at most IDF_SAMPLE articles;
# above, one pass over a repeatable sample of about IDF_SAMPLE articles (TABLESAMPLE SYSTEM) estimates
# every group and those estimated rare are counted exactly (their GIN lists are short). Counting a
# common group exactly reads most of the table (a GIN bitmap still visits every matching row).
IDF_SAMPLE = 1000


def _tsq(param: str) -> str:
    """SQL for the tsquery of bind parameter `param`, computed once per statement on PostgreSQL.

    psycopg prepares a statement run five times on one connection, and PostgreSQL then usually keeps
    a generic plan, in which `to_tsquery('simple', :q)` is no constant and is parsed again for every
    row it meets (in ts_rank and in each group's CASE): that was most of the time of a search
    matching thousands of articles. An uncorrelated sub-select is an InitPlan, evaluated once. The
    planner no longer sees the query to guess how many rows match, so it always takes the GIN
    index; measured, that was never slower than the sequential scan it chose for very common words."""
    return f"(SELECT to_tsquery('simple', :{param}))"


def _group_query(group: kb_text.QueryGroup) -> kb_text.ParsedQuery:
    return kb_text.ParsedQuery((group,))


def _sqlite_group_counts(session: Session, query: kb_text.ParsedQuery,
                         cap: int | None = FALLBACK_GROUP_MAX + 1) -> list[int]:
    """How many articles hold each group, counted up to `cap` (FTS5 doclists only)."""
    sql = text("SELECT count(*) FROM (SELECT 1 FROM kb_article_fts WHERE kb_article_fts MATCH :q LIMIT :cap)")
    return [session.execute(sql, {"q": kb_text.fts5_match(_group_query(g)), "cap": -1 if cap is None else cap}).scalar()
            for g in query.groups]


def _pg_group_counts(session: Session, query: kb_text.ParsedQuery) -> tuple[int, list[int]]:
    """(articles, articles holding each group) for the idf on PostgreSQL, whatever their status."""
    params = {f"g{i}": kb_text.pg_tsquery(_group_query(g)) for i, g in enumerate(query.groups)}
    groups = range(len(query.groups))
    filters = ", ".join(f"count(*) FILTER (WHERE a.search_vector @@ {_tsq(f'g{i}')}) AS c{i}" for i in groups)

    def exact(i: int) -> str:
        return f"(SELECT count(*) FROM kb_article WHERE search_vector @@ {_tsq(f'g{i}')})"

    # One round trip (this runs before every fill): the id span, a repeatable sample of the table's
    # pages of about IDF_SAMPLE articles, and the exact count of each group the sample finds rare
    # (short GIN lists; a CASE runs its sub-select only when taken). The arithmetic is in float8,
    # rounded half to even like Python's round(), so the checks below agree with it.
    row = session.execute(text(f"""
        WITH span AS (SELECT max(id) - min(id) + 1 AS ids FROM kb_article),
        s AS (SELECT span.ids, 100.0::float8 * {IDF_SAMPLE} / span.ids AS percent, x.* FROM span, (
                SELECT count(*) AS n, {filters} FROM kb_article a
                TABLESAMPLE SYSTEM ((SELECT coalesce(least(100, round((100.0 * {IDF_SAMPLE} / ids)::numeric, 4)), 100)
                                     FROM span))
                REPEATABLE (0)) x),
        t AS (SELECT s.*, round(s.n * 100.0 / s.percent) AS total FROM s)
        SELECT t.ids, t.n, {", ".join(f"t.c{i}" for i in groups)},
               {", ".join(f"CASE WHEN t.ids > {IDF_SAMPLE} AND t.total > {IDF_SAMPLE} AND "
                          f"least(t.total, round(t.c{i} * 100.0 / t.percent)) <= {FALLBACK_GROUP_MAX} THEN {exact(i)} END"
                          for i in groups)}
        FROM t"""), params).one()
    ids, sampled, found, exact_counts = row[0], row[1], list(row[2:2 + len(groups)]), list(row[2 + len(groups):])
    if ids is not None and ids > IDF_SAMPLE:
        percent = 100.0 * IDF_SAMPLE / ids
        total = round(sampled * 100.0 / percent)
        if total > IDF_SAMPLE:
            counts = [min(total, round(n * 100.0 / percent)) for n in found]
            rare = [i for i, n in enumerate(counts) if n <= FALLBACK_GROUP_MAX]
            missing = [i for i in rare if exact_counts[i] is None]
            if missing:  # only if float rounding in the database disagreed at the boundary
                for i, n in zip(missing, session.execute(
                        text("SELECT " + ", ".join(exact(i) for i in missing)), params).one()):
                    exact_counts[i] = n
            for i in rare:
                counts[i] = exact_counts[i]
            return total, counts
        # few articles spread over a wide id range: look at every one
        row = session.execute(text(f"SELECT count(*), {filters} FROM kb_article a"), params).one()
        return row[0], list(row[1:])
    # at most IDF_SAMPLE ids: the sample took every page, so its counts are exact
    return sampled, found


def _pg_idf(total: int, counts: list[int]) -> list[float]:
    """BM25-style inverse document frequency of each query group on PostgreSQL, whose ts_rank looks
    at one document only: without it a common word (补贴, 办理) outweighs the rare word that names
    the subject."""
    return [math.log(1 + (total - n + 0.5) / (n + 0.5)) for n in counts]


def _candidates(session: Session, query: kb_text.ParsedQuery, all_groups: bool, limit: int,
                include_expired: bool, today: dt.date, idf: list[float] | None = None,
                selecting: kb_text.ParsedQuery | None = None) -> list[tuple]:
    """(id, relevance, expired, shown columns) of published matches, current before expired, best
    first. Articles match `selecting` (default: the whole query); on PostgreSQL the relevance is
    still that of the whole query."""
    dialect = session.get_bind().dialect.name
    selecting = selecting or query
    expired_sql = "CASE WHEN a.expires_on IS NOT NULL AND a.expires_on < :today THEN 1 ELSE 0 END"
    where_expired = "" if include_expired else "AND (a.expires_on IS NULL OR a.expires_on >= :today)"
    if dialect == "sqlite":
        sql = f"""
            SELECT a.id, -bm25(kb_article_fts, {', '.join(map(str, SQLITE_WEIGHTS))}) AS score, {expired_sql} AS expired
            FROM kb_article_fts JOIN kb_article a ON a.id = kb_article_fts.rowid
            WHERE kb_article_fts MATCH :q AND a.status = 'published' {where_expired}
            ORDER BY expired, score DESC, a.id LIMIT :limit"""
        params = {"q": kb_text.fts5_match(selecting, all_groups)}
    elif dialect == "postgresql":
        # relevance = ts_rank of the whole query (title A > keywords B > body D) plus, for each query
        # group the article holds, that group's idf: rare words that name the subject count most (the
        # same for every article holding all groups, so left out of the "every word" query)
        score = " + ".join([f"ts_rank('{PG_WEIGHTS}', a.search_vector, {_tsq('q')}, {PG_NORMALISATION})"] + [
            f"CASE WHEN a.search_vector @@ {_tsq(f'g{i}')} THEN {w * PG_IDF_SCALE:.6f} ELSE 0 END"
            for i, w in enumerate(idf or [])])
        sql = f"""
            SELECT a.id, ({score}) AS score, {expired_sql} AS expired
            FROM kb_article a
            WHERE a.search_vector @@ {_tsq('s')} AND a.status = 'published' {where_expired}
            ORDER BY expired, score DESC, a.id LIMIT :limit"""
        params = {"q": kb_text.pg_tsquery(query, all_groups), "s": kb_text.pg_tsquery(selecting, all_groups)}
        params.update({f"g{i}": kb_text.pg_tsquery(_group_query(g)) for i, g in enumerate(query.groups)})
    else:
        raise NotImplementedError(f"knowledge search needs SQLite or PostgreSQL, not {dialect}")
    params.update(today=today, limit=limit)
    # the shown columns of the few best rows come in the same round trip (ranked first, so the sort
    # carries no text); typed, so that SQLite's dates come back as dates
    a = KnowledgeArticle.__table__.c
    shown = text(f"""
        SELECT c.id, c.score, c.expired, a.title, a.body, a.issuing_body, a.category, a.expires_on,
               a.effective_on
        FROM ({sql}) c JOIN kb_article a ON a.id = c.id
        ORDER BY c.expired, c.score DESC, c.id""").columns(
        a.id, sa_column("score", Float), sa_column("expired", Integer), a.title, a.body, a.issuing_body,
        a.category, a.expires_on, a.effective_on)
    return [(r.id, float(r.score), bool(r.expired), r) for r in session.execute(shown, params)]


def _fill(session: Session, query: kb_text.ParsedQuery, found: list[tuple], limit: int,
          include_expired: bool, today: dt.date) -> list[tuple]:
    """`found` (articles holding every group) followed by the best of those holding some."""
    idf = None
    if session.get_bind().dialect.name == "postgresql":
        total, counts = _pg_group_counts(session, query)
        idf = _pg_idf(total, counts)
        # the "every word" matches were ranked without the idf they all share: add it, so that
        # scores stay comparable along the list
        bonus = sum(w * PG_IDF_SCALE for w in idf)
        found = [(i, score + bonus, expired, row) for i, score, expired, row in found]
    else:
        counts = _sqlite_group_counts(session, query)
    more: list[tuple] = []
    seen = {f[0] for f in found}

    def add(selecting: tuple[kb_text.QueryGroup, ...], all_groups: bool) -> None:
        more.extend(f for f in _candidates(session, query, all_groups, limit + len(found) + len(more),
                                           include_expired, today, idf, selecting=kb_text.ParsedQuery(selecting))
                    if f[0] not in seen)
        seen.update(f[0] for f in more)

    rare = tuple(g for g, n in zip(query.groups, counts) if 0 < n <= FALLBACK_GROUP_MAX)
    if rare:
        add(rare, False)
    else:  # every group that some article holds is common
        if idf is None:
            counts = _sqlite_group_counts(session, query, cap=None)
        held = [(n, i) for i, n in enumerate(counts) if n > 0]
        if 1 < len(held) < len(query.groups):
            # some words are in no article: first those holding every word that is somewhere
            add(tuple(query.groups[i] for _n, i in sorted(held, key=lambda h: h[1])), True)
        if held and len(found) + len(more) < limit:
            add((query.groups[min(held)[1]],), False)  # then the rarest word brings the others in
    # "every word" matches keep their lead, within current and within expired articles
    return ([f for f in found if not f[2]] + [f for f in more if not f[2]]
            + [f for f in found if f[2]] + [f for f in more if f[2]])[:limit]


def search(session: Session, query: str, limit: int = 10, include_expired: bool = True,
           today: dt.date | None = None) -> list[Hit]:
    """Published articles matching what the operator typed, best first; expired ones (flagged) after
    all current ones. One published ahead of its effective date ranks as current, flagged
    `not_yet_effective`: the caller may be asking about the coming rule, and the operator sees
    from the flag that it does not apply yet. Articles holding every query word come first, then (to fill `limit`) those
    holding some (in a large knowledge base, those brought in by its rarer words: see FALLBACK_GROUP_MAX). An empty or stop-word-only query gives []. Raises ValueError for a query longer
    than QUERY_MAX characters."""
    if len(query) > QUERY_MAX:
        raise ValueError(f"搜索词不能超过{QUERY_MAX}个字")
    limit = max(1, min(int(limit), 100))
    parsed = kb_text.parse_query(query)
    if parsed.empty:
        return []
    day = today or site_today()
    found = _candidates(session, parsed, True, limit, include_expired, day)
    if len(found) < limit and len(parsed.groups) > 1:
        found = _fill(session, parsed, found, limit, include_expired, day)
    if not found:
        return []
    terms = parsed.highlight_terms()
    hits = []
    for article_id, score, expired, row in found:
        hits.append(Hit(
            article_id=article_id, title=row.title, snippet_html=kb_text.highlight(row.body, terms),
            score=score, expired=expired, issuing_body=row.issuing_body,
            title_html=kb_text.mark(row.title, kb_text.hit_spans(row.title, terms)),
            category=row.category, expires_on=row.expires_on, effective_on=row.effective_on,
            not_yet_effective=is_not_yet_effective(row.effective_on, day),
        ))
    return hits


def load_seed_articles() -> list[dict]:
    """The shipped articles (data/articles.json), as dicts with a stable `ref` each."""
    path = kb_text.DATA_DIR / "articles.json"
    return json.loads(path.read_text(encoding="utf-8"))


def seed_articles(session: Session, articles: list[dict] | None = None, now: dt.datetime | None = None) -> int:
    """Add the shipped articles that are not there yet (matched by `ref`); returns how many were added.
    Running it again adds nothing, and articles edited in the panel are left as they are."""
    items = load_seed_articles() if articles is None else articles
    existing = set(session.scalars(select(KnowledgeArticle.ref).where(KnowledgeArticle.ref.is_not(None))))
    stamp = _now(now)
    added = 0
    for item in items:
        if item["ref"] in existing:
            continue
        clean = validate_article(item)
        row = KnowledgeArticle(**clean, created_at=stamp, updated_at=stamp)
        _index(row)
        session.add(row)
        existing.add(item["ref"])
        added += 1
    session.flush()
    return added
