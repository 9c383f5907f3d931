"""Anjian projections package."""
