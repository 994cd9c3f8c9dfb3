"""call logging: journal, cdr, call, legs, seats, callback list

Revision ID: 0001
Revises: 
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ami_journal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('connection', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('ami_journal__pk'))
    )
    with op.batch_alter_table('ami_journal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ami_journal__idx__event'), ['event'], unique=False)
        batch_op.create_index(batch_op.f('ami_journal__idx__received_at'), ['received_at'], unique=False)

    op.create_table('call',
    sa.Column('call_id', sa.String(length=80), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('caller', sa.String(length=32), nullable=True),
    sa.Column('caller_raw', sa.String(length=80), nullable=True),
    sa.Column('caller_name', sa.String(length=200), nullable=True),
    sa.Column('dialed', sa.String(length=80), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('queue', sa.String(length=80), nullable=True),
    sa.Column('queued_at', sa.DateTime(), nullable=True),
    sa.Column('wait_s', sa.Float(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by', sa.String(length=16), nullable=True),
    sa.Column('seats', sa.String(length=255), nullable=True),
    sa.Column('talk_s', sa.Float(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=True),
    sa.Column('hangup_cause', sa.Integer(), nullable=True),
    sa.Column('missed', sa.Boolean(), nullable=False),
    sa.Column('short_abandon', sa.Boolean(), nullable=False),
    sa.Column('callback_id', sa.String(length=40), nullable=True),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('close_note', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('call_id', name=op.f('call__pk'))
    )
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('call__idx__answered_by'), ['answered_by'], unique=False)
        batch_op.create_index(batch_op.f('call__idx__callback_id'), ['callback_id'], unique=False)
        batch_op.create_index(batch_op.f('call__idx__caller'), ['caller'], unique=False)
        batch_op.create_index(batch_op.f('call__idx__closed'), ['closed'], unique=False)
        batch_op.create_index(batch_op.f('call__idx__missed'), ['missed'], unique=False)
        batch_op.create_index(batch_op.f('call__idx__outcome'), ['outcome'], unique=False)
        batch_op.create_index('call__idx__outcome_started_at', ['outcome', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('call__idx__started_at'), ['started_at'], unique=False)

    op.create_table('callback_task',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('missed_calls', sa.JSON(), nullable=False),
    sa.Column('first_missed_at', sa.DateTime(), nullable=False),
    sa.Column('last_missed_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_result', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_call', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('callback_task__pk'))
    )
    with op.batch_alter_table('callback_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('callback_task__idx__next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('callback_task__idx__number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('callback_task__idx__status'), ['status'], unique=False)

    op.create_table('cdr',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fingerprint', sa.String(length=40), nullable=False),
    sa.Column('call_id', sa.String(length=80), nullable=True),
    sa.Column('account_code', sa.String(length=80), nullable=True),
    sa.Column('source', sa.String(length=80), nullable=True),
    sa.Column('destination', sa.String(length=80), nullable=True),
    sa.Column('destination_context', sa.String(length=80), nullable=True),
    sa.Column('caller_id', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=120), nullable=True),
    sa.Column('destination_channel', sa.String(length=120), nullable=True),
    sa.Column('last_application', sa.String(length=80), nullable=True),
    sa.Column('last_data', sa.String(length=255), nullable=True),
    sa.Column('start_time', sa.String(length=32), nullable=True),
    sa.Column('answer_time', sa.String(length=32), nullable=True),
    sa.Column('end_time', sa.String(length=32), nullable=True),
    sa.Column('duration', sa.Integer(), nullable=True),
    sa.Column('billable_seconds', sa.Integer(), nullable=True),
    sa.Column('disposition', sa.String(length=32), nullable=True),
    sa.Column('ama_flags', sa.String(length=32), nullable=True),
    sa.Column('unique_id', sa.String(length=80), nullable=True),
    sa.Column('user_field', sa.String(length=255), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('cdr__pk')),
    sa.UniqueConstraint('fingerprint', name=op.f('cdr__uq__fingerprint'))
    )
    with op.batch_alter_table('cdr', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('cdr__idx__call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('cdr__idx__unique_id'), ['unique_id'], unique=False)

    op.create_table('seat',
    sa.Column('seat', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('interface', sa.String(length=80), nullable=False),
    sa.Column('logged_in', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('pause_reason', sa.String(length=80), nullable=True),
    sa.Column('device_state', sa.String(length=24), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('seat', name=op.f('seat__pk'))
    )
    op.create_table('seat_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('seat', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('seat_event__pk')),
    sa.UniqueConstraint('seat', 'at', 'kind', name=op.f('seat_event__uq__seat_at_kind'))
    )
    with op.batch_alter_table('seat_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('seat_event__idx__at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('seat_event__idx__seat'), ['seat'], unique=False)

    op.create_table('call_leg',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.String(length=80), nullable=False),
    sa.Column('unique_id', sa.String(length=80), nullable=False),
    sa.Column('seat', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=120), nullable=True),
    sa.Column('ring_started_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('result', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['call.call_id'], name=op.f('call_leg__fk__call_id__call'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('call_leg__pk')),
    sa.UniqueConstraint('call_id', 'unique_id', name=op.f('call_leg__uq__call_id_unique_id'))
    )
    with op.batch_alter_table('call_leg', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('call_leg__idx__call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('call_leg__idx__seat'), ['seat'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('call_leg', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('call_leg__idx__seat'))
        batch_op.drop_index(batch_op.f('call_leg__idx__call_id'))

    op.drop_table('call_leg')
    with op.batch_alter_table('seat_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('seat_event__idx__seat'))
        batch_op.drop_index(batch_op.f('seat_event__idx__at'))

    op.drop_table('seat_event')
    op.drop_table('seat')
    with op.batch_alter_table('cdr', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('cdr__idx__unique_id'))
        batch_op.drop_index(batch_op.f('cdr__idx__call_id'))

    op.drop_table('cdr')
    with op.batch_alter_table('callback_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('callback_task__idx__status'))
        batch_op.drop_index(batch_op.f('callback_task__idx__number'))
        batch_op.drop_index(batch_op.f('callback_task__idx__next_attempt_at'))

    op.drop_table('callback_task')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('call__idx__started_at'))
        batch_op.drop_index('call__idx__outcome_started_at')
        batch_op.drop_index(batch_op.f('call__idx__outcome'))
        batch_op.drop_index(batch_op.f('call__idx__missed'))
        batch_op.drop_index(batch_op.f('call__idx__closed'))
        batch_op.drop_index(batch_op.f('call__idx__caller'))
        batch_op.drop_index(batch_op.f('call__idx__callback_id'))
        batch_op.drop_index(batch_op.f('call__idx__answered_by'))

    op.drop_table('call')
    with op.batch_alter_table('ami_journal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ami_journal__idx__received_at'))
        batch_op.drop_index(batch_op.f('ami_journal__idx__event'))

    op.drop_table('ami_journal')
