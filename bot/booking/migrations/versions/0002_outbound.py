"""Outbound messages: when each channel identity was last seen, and every message sent later.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('channel_identities',
                  sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('outbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient_id', sa.String(length=128), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('buttons', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'undeliverable')", name=op.f('ck_outbound_messages_status_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbound_messages_attempts_not_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_outbound_messages_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages'))
    )
    op.create_index(op.f('ix_outbound_messages_customer_id'), 'outbound_messages', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbound_messages_customer_id'), table_name='outbound_messages')
    op.drop_table('outbound_messages')
    with op.batch_alter_table('channel_identities') as batch:
        batch.drop_column('last_seen_at')
