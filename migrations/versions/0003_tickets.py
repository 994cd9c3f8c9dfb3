"""tickets: handling units (seeded), work orders and their events, leader duty

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-03
"""
import json
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0001'
branch_labels = ('tickets',)
depends_on = None

# the seed is data, not code: read from the package's data file as it was at this revision
UNITS_JSON = Path(__file__).resolve().parents[2] / "contactcenter" / "routing" / "data" / "units.json"
BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    unit = op.create_table('handling_unit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('short_name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('places', sa.JSON(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('vertical', sa.Boolean(), nullable=False),
    sa.Column('head_name', sa.String(length=80), nullable=True),
    sa.Column('head_title', sa.String(length=80), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('duty_rank', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('handling_unit__pk')),
    sa.UniqueConstraint('code', name=op.f('handling_unit__uq__code')),
    sa.UniqueConstraint('name', name=op.f('handling_unit__uq__name')),
    )
    op.create_index(op.f('handling_unit__idx__kind'), 'handling_unit', ['kind'], unique=False)

    op.create_table('work_order',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('call_id', sa.String(length=80), nullable=True),
    sa.Column('caller_number', sa.String(length=32), nullable=True),
    sa.Column('caller_name', sa.String(length=80), nullable=True),
    sa.Column('order_type', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('county', sa.String(length=40), nullable=True),
    sa.Column('town', sa.String(length=40), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('important', sa.Boolean(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('complex_case', sa.Boolean(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('proposed_unit_id', sa.Integer(), nullable=True),
    sa.Column('leader_instructions', sa.Text(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('pending_extension_days', sa.Integer(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('return_count', sa.Integer(), nullable=False),
    sa.Column('redo_count', sa.Integer(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('kb_article_ids', sa.JSON(), nullable=False),
    sa.Column('notify_channel', sa.String(length=8), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('result_call_requested_at', sa.DateTime(), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('objection_reasonable', sa.Boolean(), nullable=True),
    sa.Column('survey_satisfaction', sa.String(length=24), nullable=True),
    sa.Column('survey_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('search_tokens', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['proposed_unit_id'], ['handling_unit.id'], name=op.f('work_order__fk__proposed_unit_id__handling_unit')),
    sa.ForeignKeyConstraint(['unit_id'], ['handling_unit.id'], name=op.f('work_order__fk__unit_id__handling_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('work_order__pk')),
    )
    op.create_index(op.f('work_order__idx__call_id'), 'work_order', ['call_id'], unique=False)
    op.create_index('work_order__idx__created_at', 'work_order', ['created_at'], unique=False)
    op.create_index('work_order__idx__status_created_at', 'work_order', ['status', 'created_at'], unique=False)
    op.create_index('work_order__idx__unit_id_status_created_at', 'work_order', ['unit_id', 'status', 'created_at'], unique=False)
    op.create_index('work_order__idx__status_due_at', 'work_order', ['status', 'due_at'], unique=False)
    op.create_index('work_order__idx__unit_id_due_at', 'work_order', ['unit_id', 'due_at'], unique=False)
    op.create_index('work_order__idx__caller_number_status', 'work_order', ['caller_number', 'status'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # full-text search over jieba tokens: the 'simple' configuration keeps Chinese words whole
        op.execute("CREATE INDEX work_order__idx__search_tokens ON work_order "
                   "USING gin (to_tsvector('simple', search_tokens))")

    op.create_table('work_order_event',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('work_order_id', BigId, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('actor_name', sa.String(length=80), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['handling_unit.id'], name=op.f('work_order_event__fk__unit_id__handling_unit')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('work_order_event__fk__work_order_id__work_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('work_order_event__pk')),
    )
    op.create_index(op.f('work_order_event__idx__work_order_id'), 'work_order_event', ['work_order_id'], unique=False)
    op.create_index('work_order_event__idx__action_unit_id', 'work_order_event', ['action', 'unit_id'], unique=False)

    op.create_table('duty_slot',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('duty_date', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('head_name', sa.String(length=80), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['handling_unit.id'], name=op.f('duty_slot__fk__unit_id__handling_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('duty_slot__pk')),
    sa.UniqueConstraint('duty_date', name=op.f('duty_slot__uq__duty_date')),
    )
    op.create_index(op.f('duty_slot__idx__unit_id'), 'duty_slot', ['unit_id'], unique=False)

    units = json.loads(UNITS_JSON.read_text(encoding="utf-8"))
    op.bulk_insert(unit, [
        {"code": u["code"], "name": u["name"], "short_name": u["short_name"], "kind": u["kind"],
         "aliases": u["aliases"], "places": u["places"], "keywords": u["keywords"],
         "vertical": u["vertical"], "head_name": u["head_name"], "head_title": u["head_title"],
         "active": True, "duty_rank": u["duty_rank"]}
        for u in units])


def downgrade() -> None:
    op.drop_table('duty_slot')
    op.drop_table('work_order_event')
    op.drop_table('work_order')
    op.drop_table('handling_unit')
