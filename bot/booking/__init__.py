"""Booking store: models, migrations, policy rules and the BookingStore facade."""
