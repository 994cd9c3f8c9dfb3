"""knowledge base: articles and their full-text index (FTS5 on SQLite, tsvector + GIN on PostgreSQL)

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0001"
branch_labels = ("knowledge",)
depends_on = None

# SQLite: an external-content FTS5 table over the jieba terms; the article row is the content, the
# triggers keep the index in step with every insert, update and delete (whoever writes the row).
# unicode61 splits on the spaces between jieba terms and keeps CJK runs whole.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE kb_article_fts USING fts5(
           title_terms, keyword_terms, body_terms,
           content='kb_article', content_rowid='id', tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER kb_article__fts_insert AFTER INSERT ON kb_article BEGIN
           INSERT INTO kb_article_fts(rowid, title_terms, keyword_terms, body_terms)
           VALUES (new.id, new.title_terms, new.keyword_terms, new.body_terms);
       END""",
    """CREATE TRIGGER kb_article__fts_delete AFTER DELETE ON kb_article BEGIN
           INSERT INTO kb_article_fts(kb_article_fts, rowid, title_terms, keyword_terms, body_terms)
           VALUES ('delete', old.id, old.title_terms, old.keyword_terms, old.body_terms);
       END""",
    """CREATE TRIGGER kb_article__fts_update AFTER UPDATE ON kb_article BEGIN
           INSERT INTO kb_article_fts(kb_article_fts, rowid, title_terms, keyword_terms, body_terms)
           VALUES ('delete', old.id, old.title_terms, old.keyword_terms, old.body_terms);
           INSERT INTO kb_article_fts(rowid, title_terms, keyword_terms, body_terms)
           VALUES (new.id, new.title_terms, new.keyword_terms, new.body_terms);
       END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS kb_article__fts_update",
    "DROP TRIGGER IF EXISTS kb_article__fts_delete",
    "DROP TRIGGER IF EXISTS kb_article__fts_insert",
    "DROP TABLE IF EXISTS kb_article_fts",
]

# PostgreSQL: a stored generated tsvector (the database recomputes it on every write) with the
# 'simple' configuration, since the terms are already segmented and must not be stemmed.
# Weights: title A, keywords B, body D.
PG_UP = [
    """ALTER TABLE kb_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
           setweight(to_tsvector('simple'::regconfig, coalesce(title_terms, '')), 'A') ||
           setweight(to_tsvector('simple'::regconfig, coalesce(keyword_terms, '')), 'B') ||
           setweight(to_tsvector('simple'::regconfig, coalesce(body_terms, '')), 'D')) STORED""",
    "CREATE INDEX kb_article__idx__search_vector ON kb_article USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "kb_article",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("keywords", sa.String(length=400), nullable=False),
        sa.Column("issuing_body", sa.String(length=120), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("keyword_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("kb_article__pk")),
        sa.UniqueConstraint("ref", name=op.f("kb_article__uq__ref")),
    )
    with op.batch_alter_table("kb_article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("kb_article__idx__category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("kb_article__idx__status"), ["status"], unique=False)

    dialect = op.get_bind().dialect.name
    statements = SQLITE_UP if dialect == "sqlite" else PG_UP if dialect == "postgresql" else []
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    # on PostgreSQL the generated column and its GIN index go with the table
    with op.batch_alter_table("kb_article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("kb_article__idx__status"))
        batch_op.drop_index(batch_op.f("kb_article__idx__category"))
    op.drop_table("kb_article")
