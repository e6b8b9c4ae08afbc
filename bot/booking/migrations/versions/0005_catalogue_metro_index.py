"""Hotels and sights indexed by their metro station, for "人民广场附近" searches.

Revision ID: 0005_catalogue_metro_index
Revises: 0004_catalogue
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import op

revision = '0005_catalogue_metro_index'
down_revision = '0004_catalogue'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_catalogue_hotels_metro_station_city', 'catalogue_hotels', ['metro_station', 'city'])
    op.create_index('ix_catalogue_sights_metro_station_city', 'catalogue_sights', ['metro_station', 'city'])


def downgrade() -> None:
    op.drop_index('ix_catalogue_sights_metro_station_city', table_name='catalogue_sights')
    op.drop_index('ix_catalogue_hotels_metro_station_city', table_name='catalogue_hotels')
