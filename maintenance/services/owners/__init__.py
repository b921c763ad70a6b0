"""Consumers who asked for reminders: sign-up, login, their units, settings, export, erasure."""
