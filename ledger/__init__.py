"""Anjian ledger package."""
