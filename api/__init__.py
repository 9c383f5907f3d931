"""Anjian api package."""
