"""Imports every aggregate module so that their commands are in the catalog."""

from domain import actor, enterprise

__all__ = ["actor", "enterprise"]
