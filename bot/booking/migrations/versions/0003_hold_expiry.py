"""Unpaid holds expire: a deadline per booking, and the ``expired`` booking and payment states.

Revision ID: 0003_hold_expiry
Revises: 0002
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_hold_expiry'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_BOOKING = "status IN ('pending_payment', 'confirmed', 'cancelled', 'completed')"
NEW_BOOKING = "status IN ('pending_payment', 'confirmed', 'cancelled', 'completed', 'expired')"
OLD_PAYMENT = "status IN ('pending', 'succeeded', 'failed', 'refunded')"
NEW_PAYMENT = "status IN ('pending', 'succeeded', 'failed', 'refunded', 'expired')"


def _status_check(table: str, condition: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f'ck_{table}_status_known'), type_='check')
        batch.create_check_constraint(op.f(f'ck_{table}_status_known'), sa.text(condition))


def upgrade() -> None:
    with op.batch_alter_table('bookings') as batch:
        batch.add_column(sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_bookings_status_hold_expires_at', ['status', 'hold_expires_at'],
                           unique=False)
    _status_check('bookings', NEW_BOOKING)
    _status_check('payments', NEW_PAYMENT)


def downgrade() -> None:
    op.execute("UPDATE bookings SET status = 'cancelled' WHERE status = 'expired'")
    op.execute("UPDATE payments SET status = 'failed' WHERE status = 'expired'")
    _status_check('payments', OLD_PAYMENT)
    _status_check('bookings', OLD_BOOKING)
    with op.batch_alter_table('bookings') as batch:
        batch.drop_index('ix_bookings_status_hold_expires_at')
        batch.drop_column('hold_expires_at')
