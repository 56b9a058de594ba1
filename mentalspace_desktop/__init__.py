"""MentalSpace Desktop: practice management and clinical records for mental-health practices."""

__version__ = "0.1.0"
APP_NAME = "MentalSpace Desktop"
