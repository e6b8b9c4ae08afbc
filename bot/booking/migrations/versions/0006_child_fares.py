"""Child fares: a product's child price, and how many of a booking's places are children.

Revision ID: 0006_child_fares
Revises: 0005_catalogue_metro_index
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_child_fares'
down_revision = '0005_catalogue_metro_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('products') as batch:
        batch.add_column(sa.Column('child_price_fen', sa.Integer(), nullable=True))
    with op.batch_alter_table('booking_items') as batch:
        batch.add_column(sa.Column('children', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('child_unit_price_fen', sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f('ck_booking_items_children_with_an_adult'),
                                      sa.text('children >= 0 AND children < quantity'))


def downgrade() -> None:
    with op.batch_alter_table('booking_items') as batch:
        batch.drop_constraint(op.f('ck_booking_items_children_with_an_adult'), type_='check')
        batch.drop_column('child_unit_price_fen')
        batch.drop_column('children')
    with op.batch_alter_table('products') as batch:
        batch.drop_column('child_price_fen')
