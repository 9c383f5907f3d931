"""Anjian ui package."""
