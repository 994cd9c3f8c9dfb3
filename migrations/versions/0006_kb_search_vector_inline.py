"""knowledge base: keep the search vector in the row (PostgreSQL)

An article's tsvector (about 1.5 kB) was moved out to the TOAST table, so ranking a match cost
TOAST index and chunk reads, once for the recheck and again for ts_rank: with 50,000 articles a
search holding a few thousand matches spent most of its time there. STORAGE MAIN keeps it in the
heap row (compressed when needed) and lets the body and term texts go out of line instead. The
UPDATE rewrites the existing rows so that their vectors are recomputed and stored the new way.
Nothing to do on SQLite (the FTS5 index has its own storage).

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03
"""
from alembic import op


revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE kb_article ALTER COLUMN search_vector SET STORAGE MAIN")
        op.execute("UPDATE kb_article SET title_terms = title_terms")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE kb_article ALTER COLUMN search_vector SET STORAGE EXTENDED")
