"""redial: attempts, do-not-call, missed-call map, scheduler jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

The callback dialer: every try of a callback (callback_attempt), the map from each missed call
to its entry (idempotent intake), the do-not-call list, APScheduler's job store, and on
callback_task the priority, seat-side failure count, source and note.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = ('redial',)
depends_on = None


def upgrade() -> None:
    op.create_table('do_not_call',
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('added_by', sa.String(length=80), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('do_not_call__pk'))
    )
    op.create_table('redial_scheduler_job',
    sa.Column('id', sa.String(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('redial_scheduler_job__pk'))
    )
    with op.batch_alter_table('redial_scheduler_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('redial_scheduler_job__idx__next_run_time'), ['next_run_time'], unique=False)

    op.create_table('callback_attempt',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('seat', sa.String(length=16), nullable=False),
    sa.Column('action_id', sa.String(length=64), nullable=False),
    sa.Column('callback_id', sa.String(length=40), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('originate_response', sa.String(length=16), nullable=True),
    sa.Column('originate_reason', sa.String(length=8), nullable=True),
    sa.Column('originate_result', sa.String(length=32), nullable=True),
    sa.Column('call_id', sa.String(length=80), nullable=True),
    sa.Column('call_result', sa.String(length=32), nullable=True),
    sa.Column('result', sa.String(length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by', sa.String(length=80), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['callback_task.id'], name=op.f('callback_attempt__fk__task_id__callback_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('callback_attempt__pk')),
    sa.UniqueConstraint('action_id', name=op.f('callback_attempt__uq__action_id')),
    sa.UniqueConstraint('callback_id', name=op.f('callback_attempt__uq__callback_id')),
    sa.UniqueConstraint('task_id', 'seq', name=op.f('callback_attempt__uq__task_id_seq'))
    )
    with op.batch_alter_table('callback_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('callback_attempt__idx__seat'), ['seat'], unique=False)
        batch_op.create_index(batch_op.f('callback_attempt__idx__started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('callback_attempt__idx__state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('callback_attempt__idx__task_id'), ['task_id'], unique=False)

    op.create_table('callback_missed_call',
    sa.Column('call_id', sa.String(length=80), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('missed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['callback_task.id'], name=op.f('callback_missed_call__fk__task_id__callback_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', name=op.f('callback_missed_call__pk'))
    )
    with op.batch_alter_table('callback_missed_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('callback_missed_call__idx__task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('callback_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('seat_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='missed', nullable=False))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.create_index('callback_task__idx__status_priority_due', ['status', 'priority', 'first_missed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('callback_task', schema=None) as batch_op:
        batch_op.drop_index('callback_task__idx__status_priority_due')
        batch_op.drop_column('note')
        batch_op.drop_column('source')
        batch_op.drop_column('seat_failures')
        batch_op.drop_column('priority')

    with op.batch_alter_table('callback_missed_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('callback_missed_call__idx__task_id'))

    op.drop_table('callback_missed_call')
    with op.batch_alter_table('callback_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('callback_attempt__idx__task_id'))
        batch_op.drop_index(batch_op.f('callback_attempt__idx__state'))
        batch_op.drop_index(batch_op.f('callback_attempt__idx__started_at'))
        batch_op.drop_index(batch_op.f('callback_attempt__idx__seat'))

    op.drop_table('callback_attempt')
    with op.batch_alter_table('redial_scheduler_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('redial_scheduler_job__idx__next_run_time'))

    op.drop_table('redial_scheduler_job')
    op.drop_table('do_not_call')
