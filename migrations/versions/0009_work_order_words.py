"""work orders: a word table for the text search, in place of the full-text index

The panel's search lists the newest orders holding every typed word. Through the GIN index on
to_tsvector(search_tokens), PostgreSQL had to fetch every order holding the word to find the
newest 50: about 10 µs each, so 100-200 ms at a million orders for a word found in one order in
fifty. work_order_word holds one row per (word, order) with the order's creation time, keyed
(word, created_at, work_order_id): the key hands a word's orders out newest first, so a page
reads about its own length of entries. SQLite uses the same table (it used LIKE on the tokens).

The table is filled from the tokens already stored on each order, each word cut to 40 characters
as the service now does; the GIN index is dropped (nothing reads it any more).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

MAX_WORD = 40  # contactcenter.tickets.models.MAX_WORD when this was written
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    key = sa.PrimaryKeyConstraint("word", "created_at", "work_order_id", name=op.f("work_order_word__pk"))
    fk = dict(constraint_name=op.f("work_order_word__fk__work_order_id__work_order"), source_table="work_order_word",
              referent_table="work_order", local_cols=["work_order_id"], remote_cols=["id"])
    # PostgreSQL: fill first, then build the key and check the reference in one pass each (12
    # million rows for a million orders: minutes row by row); SQLite cannot add them afterwards
    op.create_table(
        "work_order_word",
        sa.Column("word", sa.String(length=MAX_WORD), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("work_order_id", BigId, nullable=False),
        *(() if postgres else (key, sa.ForeignKeyConstraint(["work_order_id"], ["work_order.id"], name=fk["constraint_name"]))),
    )
    if postgres:
        bind.execute(sa.text(f"""
            INSERT INTO work_order_word (word, created_at, work_order_id)
            SELECT DISTINCT left(w, {MAX_WORD}), o.created_at, o.id
            FROM work_order o, unnest(string_to_array(btrim(o.search_tokens), ' ')) AS w
            WHERE w <> ''"""))
        op.create_primary_key(key.name, "work_order_word", ["word", "created_at", "work_order_id"])
        op.create_foreign_key(**fk)
        op.execute("DROP INDEX IF EXISTS work_order__idx__search_tokens")
        return
    word = sa.table("work_order_word", sa.column("word"), sa.column("created_at"), sa.column("work_order_id"))
    last = 0
    while True:  # in batches, so a large SQLite file is not read into memory at once
        rows = bind.execute(sa.text("SELECT id, created_at, search_tokens FROM work_order WHERE id > :last "
                                    "ORDER BY id LIMIT 5000"), {"last": last}).all()
        if not rows:
            break
        values = [{"word": w, "created_at": created, "work_order_id": oid}
                  for oid, created, tokens in rows
                  for w in dict.fromkeys(t[:MAX_WORD] for t in tokens.split())]
        if values:
            bind.execute(word.insert(), values)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_table("work_order_word")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX work_order__idx__search_tokens ON work_order "
                   "USING gin (to_tsvector('simple', search_tokens))")
