"""The catalogue in the database, and inventory made on demand.

Catalogue tables (districts, hotels, rooms, facilities, sights, tours, services, fares,
the name index); products get their daily capacity and sale weekdays so the store can
create a day's inventory row when it is first read or reserved.

Revision ID: 0004_catalogue
Revises: 0003_hold_expiry
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_catalogue'
down_revision = '0003_hold_expiry'
branch_labels = None
depends_on = None


def _located(*extra: sa.Column) -> list:
    """Columns shared by hotels and sights after their own."""
    return [
        *extra,
        sa.Column('metro_station', sa.String(length=64), nullable=False),
        sa.Column('metro_line', sa.String(length=32), nullable=False),
        sa.Column('metro_distance_m', sa.Integer(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('aliases', sa.JSON(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('catalogue_districts',
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('city', 'name', name=op.f('pk_catalogue_districts'))
    )
    op.create_table('catalogue_hotels',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=16), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('rating', sa.Float(), nullable=True),
    sa.Column('brand', sa.String(length=32), nullable=False),
    sa.Column('breakfast_included', sa.Boolean(), nullable=False),
    sa.Column('checkin_time', sa.String(length=5), nullable=False),
    sa.Column('checkout_time', sa.String(length=5), nullable=False),
    *_located(),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('min_price_fen', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_hotels'))
    )
    op.create_index('ix_catalogue_hotels_city_district', 'catalogue_hotels', ['city', 'district'])
    op.create_index('ix_catalogue_hotels_city_min_price_fen', 'catalogue_hotels',
                    ['city', 'min_price_fen'])
    op.create_index('ix_catalogue_hotels_city_rating', 'catalogue_hotels', ['city', 'rating'])
    op.create_table('catalogue_rooms',
    sa.Column('hotel_id', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('max_guests', sa.Integer(), nullable=False),
    sa.Column('bed', sa.String(length=64), nullable=False),
    sa.Column('breakfast', sa.Boolean(), nullable=False),
    sa.Column('area_m2', sa.Integer(), nullable=True),
    sa.Column('smoking', sa.Boolean(), nullable=False),
    sa.Column('rooms_per_day', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hotel_id'], ['catalogue_hotels.id'], ondelete='CASCADE',
                            name=op.f('fk_catalogue_rooms_hotel_id_catalogue_hotels')),
    sa.PrimaryKeyConstraint('hotel_id', 'type', name=op.f('pk_catalogue_rooms'))
    )
    op.create_table('catalogue_hotel_facilities',
    sa.Column('hotel_id', sa.String(length=32), nullable=False),
    sa.Column('facility', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['hotel_id'], ['catalogue_hotels.id'], ondelete='CASCADE',
                            name=op.f('fk_catalogue_hotel_facilities_hotel_id_catalogue_hotels')),
    sa.PrimaryKeyConstraint('hotel_id', 'facility', name=op.f('pk_catalogue_hotel_facilities'))
    )
    op.create_index('ix_catalogue_hotel_facilities_facility', 'catalogue_hotel_facilities',
                    ['facility', 'hotel_id'])
    op.create_table('catalogue_sights',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('tickets', sa.JSON(), nullable=False),
    sa.Column('free', sa.Boolean(), nullable=False),
    sa.Column('min_ticket_fen', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('opening_hours', sa.String(length=200), nullable=False),
    sa.Column('visit_hours_min', sa.Float(), nullable=True),
    sa.Column('visit_hours_max', sa.Float(), nullable=True),
    sa.Column('rating', sa.Float(), nullable=True),
    sa.Column('suitable_for', sa.JSON(), nullable=False),
    *_located(),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_sights'))
    )
    op.create_index('ix_catalogue_sights_city_district', 'catalogue_sights', ['city', 'district'])
    op.create_index('ix_catalogue_sights_city_rating', 'catalogue_sights', ['city', 'rating'])
    op.create_index('ix_catalogue_sights_city_type', 'catalogue_sights', ['city', 'type'])
    op.create_table('catalogue_tours',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('destination', sa.String(length=32), nullable=False),
    sa.Column('departs_from', sa.String(length=32), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('child_price_fen', sa.Integer(), nullable=True),
    sa.Column('departure_weekdays', sa.String(length=7), nullable=False),
    sa.Column('attractions', sa.JSON(), nullable=False),
    sa.Column('highlights', sa.Text(), nullable=False),
    sa.Column('includes', sa.Text(), nullable=False),
    sa.Column('excludes', sa.Text(), nullable=False),
    sa.Column('itinerary', sa.JSON(), nullable=False),
    sa.Column('group_size', sa.String(length=32), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_tours'))
    )
    op.create_index(op.f('ix_catalogue_tours_destination'), 'catalogue_tours', ['destination'])
    op.create_index(op.f('ix_catalogue_tours_departs_from'), 'catalogue_tours', ['departs_from'])
    op.create_table('catalogue_services',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('operator', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=32), nullable=False),
    sa.Column('destination', sa.String(length=32), nullable=False),
    sa.Column('from_station', sa.String(length=64), nullable=False),
    sa.Column('to_station', sa.String(length=64), nullable=False),
    sa.Column('from_terminal', sa.String(length=8), nullable=False),
    sa.Column('to_terminal', sa.String(length=8), nullable=False),
    sa.Column('depart', sa.String(length=5), nullable=False),
    sa.Column('arrive', sa.String(length=7), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('min_fare_fen', sa.Integer(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_catalogue_services'))
    )
    op.create_index(op.f('ix_catalogue_services_depart'), 'catalogue_services', ['depart'])
    op.create_index('ix_catalogue_services_origin_destination_mode', 'catalogue_services',
                    ['origin', 'destination', 'mode'])
    op.create_table('catalogue_fares',
    sa.Column('service_code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_code'], ['catalogue_services.code'], ondelete='CASCADE',
                            name=op.f('fk_catalogue_fares_service_code_catalogue_services')),
    sa.PrimaryKeyConstraint('service_code', 'name', name=op.f('pk_catalogue_fares'))
    )
    op.create_table('catalogue_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('pinyin', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('exact', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_names'))
    )
    op.create_index('ix_catalogue_names_key', 'catalogue_names', ['key', 'pinyin'])
    with op.batch_alter_table('products') as batch:
        batch.add_column(sa.Column('capacity', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sale_weekdays', sa.String(length=7), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('products') as batch:
        batch.drop_column('sale_weekdays')
        batch.drop_column('capacity')
    for table in ('catalogue_names', 'catalogue_fares', 'catalogue_services', 'catalogue_tours',
                  'catalogue_sights', 'catalogue_hotel_facilities', 'catalogue_rooms',
                  'catalogue_hotels', 'catalogue_districts'):
        op.drop_table(table)
