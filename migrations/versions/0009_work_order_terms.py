"""work orders: a term table for the text search, in place of the full-text index

The panel's search lists the newest orders holding every term of what the operator typed.
Through the GIN index on to_tsvector(search_tokens), PostgreSQL had to fetch every order holding
the word to find the newest 50: about 10 µs each, so 100-200 ms at a million orders for a word
found in one order in fifty. work_order_term holds one row per (term, order) with the order's
creation time, keyed (term, created_at, work_order_id): the key hands a term's orders out newest
first, so a page reads about its own length of entries. SQLite uses the same table (it used LIKE
on the tokens).

The terms are those of contactcenter.tickets.terms (character pairs of the Chinese, whole runs
of letters and digits), so 路灯 now finds "路灯不亮", which jieba's words did not. They are
computed here from each order's own texts with that module, in batches; on PostgreSQL they are
copied in and the key and the reference built afterwards, one pass each. search_tokens of the
orders already there keep their jieba words (nothing searches that column any more); the GIN
index is dropped.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

from contactcenter.tickets.terms import order_terms


revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

MAX_TERM = 40  # contactcenter.tickets.terms.MAX_TERM when this was written
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 5000


def _orders(bind):
    """Each order's id, creation time and terms, in batches of BATCH, by id."""
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, created_at, subject, description, county, town, address "
                                    "FROM work_order WHERE id > :last ORDER BY id LIMIT :n"),
                            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        yield [(r[0], r[1], order_terms(*r[2:])) for r in rows]
        last = rows[-1][0]


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    key = sa.PrimaryKeyConstraint("term", "created_at", "work_order_id", name=op.f("work_order_term__pk"))
    fk_name = op.f("work_order_term__fk__work_order_id__work_order")
    # PostgreSQL: fill first, then build the key and check the reference in one pass each (tens of
    # millions of rows for a million orders); SQLite cannot add them afterwards
    op.create_table(
        "work_order_term",
        sa.Column("term", sa.String(length=MAX_TERM), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("work_order_id", BigId, nullable=False),
        *(() if postgres else (key, sa.ForeignKeyConstraint(["work_order_id"], ["work_order.id"], name=fk_name))),
    )
    if postgres:
        raw = bind.connection.driver_connection  # psycopg 3: COPY, far faster than INSERTs
        for batch in _orders(bind):
            with raw.cursor() as cur, cur.copy("COPY work_order_term (term, created_at, work_order_id) FROM STDIN") as copy:
                for oid, created, terms in batch:
                    for term in terms:
                        copy.write_row((term, created, oid))
        op.create_primary_key(key.name, "work_order_term", ["term", "created_at", "work_order_id"])
        op.create_foreign_key(fk_name, "work_order_term", "work_order", ["work_order_id"], ["id"])
        op.execute("DROP INDEX IF EXISTS work_order__idx__search_tokens")
        return
    table = sa.table("work_order_term", sa.column("term"), sa.column("created_at"), sa.column("work_order_id"))
    for batch in _orders(bind):
        values = [{"term": t, "created_at": created, "work_order_id": oid} for oid, created, terms in batch for t in terms]
        if values:
            bind.execute(table.insert(), values)


def downgrade() -> None:
    op.drop_table("work_order_term")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX work_order__idx__search_tokens ON work_order "
                   "USING gin (to_tsvector('simple', search_tokens))")
