"""Anjian ops package."""
