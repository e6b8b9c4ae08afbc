"""TripDesk: a Chinese-first customer-service bot for travel businesses."""
