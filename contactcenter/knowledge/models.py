"""Knowledge-base tables: one row per article.

The search index lives next to the row: `title_terms`, `keyword_terms` and `body_terms` hold the
space-joined jieba terms (written by the service on every create/update). Migration 0004 builds the
backend-specific index over them: an external-content FTS5 table kept in sync by triggers on SQLite,
a stored generated `tsvector` column with a GIN index on PostgreSQL. Neither is mapped here because
it exists on one backend only and the database maintains it itself.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UTCDateTime

ARTICLE_STATUSES = ("draft", "published", "archived")


class KnowledgeArticle(Base):
    """A policy answer an operator can read out to a caller."""

    __tablename__ = "kb_article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # stable key of seeded articles ("sb-001"), so seeding is idempotent; null for articles typed in the panel
    ref: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40), index=True)
    keywords: Mapped[str] = mapped_column(String(400), default="")  # "、"-joined
    issuing_body: Mapped[str] = mapped_column(String(120))  # 发文机关
    effective_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="published", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    title_terms: Mapped[str] = mapped_column(Text, default="")
    keyword_terms: Mapped[str] = mapped_column(Text, default="")
    body_terms: Mapped[str] = mapped_column(Text, default="")
