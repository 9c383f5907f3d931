"""Anjian audit package."""
