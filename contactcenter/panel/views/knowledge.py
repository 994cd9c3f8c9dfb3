"""Knowledge base: a search usable during a call (results and the article side by side),
article view, and the editor (issuing body, effective and expiry dates)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from contactcenter.knowledge import service as kb
from contactcenter.knowledge.models import ARTICLE_STATUSES
from contactcenter.panel.auth import requires
from contactcenter.panel.web import db, now, site_tz

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")

STATUS_LABELS = {"draft": "草稿", "published": "已发布", "archived": "已归档"}
FIELDS = ("title", "category", "issuing_body", "keywords", "effective_on", "expires_on", "status", "body")


def _today():
    return now().astimezone(site_tz()).date()


def _article_or_404(article_id: int):
    try:
        return kb.get_article(db(), article_id, today=_today())
    except kb.ArticleNotFound:
        abort(404)


@bp.route("/")
@requires("knowledge.view")
def index():
    q = (request.args.get("q") or "").strip()
    hits, error, articles = [], None, []
    if q:
        try:
            hits = kb.search(db(), q, limit=20, today=_today())
        except ValueError as exc:
            error = str(exc)
    else:
        articles = kb.list_articles(db(), status="published", limit=30, today=_today())
    shown = None
    if request.args.get("article"):
        try:
            shown = kb.get_article(db(), int(request.args["article"]), today=_today())
        except (ValueError, kb.ArticleNotFound):
            shown = None
    elif hits:
        shown = kb.get_article(db(), hits[0].article_id, today=_today())
    return render_template("knowledge/index.html", q=q, hits=hits, error=error, articles=articles, shown=shown,
                           labels=STATUS_LABELS), (400 if error else 200)


@bp.route("/<int:article_id>")
@requires("knowledge.view")
def article(article_id: int):
    return render_template("knowledge/article.html", a=_article_or_404(article_id), labels=STATUS_LABELS)


@bp.route("/manage")
@requires("knowledge.edit")
def manage():
    status = request.args.get("status") or None
    if status not in (None, *ARTICLE_STATUSES):
        status = None
    rows = kb.list_articles(db(), status=status, limit=200, today=_today())
    return render_template("knowledge/manage.html", rows=rows, status=status, labels=STATUS_LABELS)


def _form_values(source) -> dict:
    return {k: (source.get(k) or "").strip() for k in FIELDS}


@bp.route("/new", methods=["GET", "POST"])
@requires("knowledge.edit")
def new():
    values = {k: "" for k in FIELDS} | {"status": "published"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _form_values(request.form)
        try:
            created = kb.create_article(db(), title=values["title"], body=values["body"],
                                        category=values["category"], issuing_body=values["issuing_body"],
                                        keywords=values["keywords"], effective_on=values["effective_on"] or None,
                                        expires_on=values["expires_on"] or None, status=values["status"],
                                        now=now(), today=_today())
            db().commit()
            flash("文章已保存", "success")
            return redirect(url_for("knowledge.article", article_id=created.id))
        except kb.ArticleInvalid as exc:
            db().rollback()
            errors = exc.errors
    return render_template("knowledge/edit.html", values=values, errors=errors, article_id=None,
                           labels=STATUS_LABELS), (400 if errors else 200)


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@requires("knowledge.edit")
def edit(article_id: int):
    a = _article_or_404(article_id)
    values = {k: getattr(a, k) for k in FIELDS}
    values["keywords"] = "、".join(a.keywords)
    values = {k: ("" if v is None else str(v)) for k, v in values.items()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _form_values(request.form)
        try:
            kb.update_article(db(), article_id, now=now(), today=_today(),
                              **{k: (values[k] or None) if k in ("effective_on", "expires_on") else values[k]
                                 for k in FIELDS})
            db().commit()
            flash("文章已更新", "success")
            return redirect(url_for("knowledge.article", article_id=article_id))
        except kb.ArticleInvalid as exc:
            db().rollback()
            errors = exc.errors
    return render_template("knowledge/edit.html", values=values, errors=errors, article_id=article_id,
                           labels=STATUS_LABELS), (400 if errors else 200)


@bp.route("/<int:article_id>/archive", methods=["POST"])
@requires("knowledge.edit")
def archive(article_id: int):
    try:
        kb.archive_article(db(), article_id, now=now())
    except kb.ArticleNotFound:
        abort(404)
    db().commit()
    flash("文章已归档（不再出现在搜索结果中）", "success")
    return redirect(url_for("knowledge.article", article_id=article_id))
