"""panel: accounts and audit trail

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0001'
branch_labels = ('panel',)
depends_on = None


def upgrade() -> None:
    op.create_table('panel_user',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('panel_user__pk')),
    sa.UniqueConstraint('username', name=op.f('panel_user__uq__username'))
    )
    with op.batch_alter_table('panel_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('panel_user__idx__unit'), ['unit'], unique=False)

    op.create_table('panel_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('panel_audit__pk'))
    )
    with op.batch_alter_table('panel_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('panel_audit__idx__at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('panel_audit__idx__username'), ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('panel_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('panel_audit__idx__username'))
        batch_op.drop_index(batch_op.f('panel_audit__idx__at'))
    op.drop_table('panel_audit')
    with op.batch_alter_table('panel_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('panel_user__idx__unit'))
    op.drop_table('panel_user')
