"""Stored task schedules per unit: plan, log what was done, pace, re-plan (rules: due_dates)."""
