"""Anjian domain package."""
