"""work orders: partial index for the deadline lists (overdue, due soon)

The panel's 已超期 / 即将到期 lists ask for the orders in a unit state (dispatched, in_progress,
extension_requested, returned_for_redo) by due_at, oldest first. The (status, due_at) index answers
each status apart, so PostgreSQL read every overdue order (19,000 of 1,000,000 in the panel bench,
about 100 ms) to sort them and keep 50. An index on (due_at, id) over the orders in those states
hands them out in order: the first page reads 51 entries.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None

# contactcenter.tickets.workflow.UNIT_STATES when this was written
WHERE = "status IN ('dispatched', 'in_progress', 'extension_requested', 'returned_for_redo')"


def upgrade() -> None:
    op.create_index("work_order__idx__open_due_at", "work_order", ["due_at", "id"], unique=False,
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("work_order__idx__open_due_at", table_name="work_order")
