"""redial: at most one open callback per number, enforced by the database

The intake and the panel look up a number's open entry before creating one, so two open
entries for one number should never exist; if they did, two dispatcher rounds could ring that
caller twice at once. A partial unique index on (number) over the open statuses makes that
impossible on SQLite and PostgreSQL alike. Before it is created, any duplicates an earlier
version left behind are merged away: the newer entry is closed as gave_up with a reason.

Revision ID: 0008
Revises: 0002
Create Date: 2026-12-03
"""
import datetime

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = "status IN ('pending', 'dialing')"


def upgrade() -> None:
    # stored times are naive UTC (contactcenter.db.UTCDateTime), so bind one rather than use
    # CURRENT_TIMESTAMP, which PostgreSQL gives in the server's time zone
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    op.get_bind().execute(sa.text(f"""
        UPDATE callback_task SET status = 'gave_up', reason = 'duplicate open entry for this number (migration 0008)',
               next_attempt_at = NULL, closed_at = :now, updated_at = :now
        WHERE {OPEN} AND number IS NOT NULL AND id NOT IN (
            SELECT min(id) FROM callback_task WHERE {OPEN} AND number IS NOT NULL GROUP BY number)
    """), {"now": now})
    op.create_index("callback_task__uq__open_number", "callback_task", ["number"], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index("callback_task__uq__open_number", table_name="callback_task")
