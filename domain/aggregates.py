"""Imports every aggregate module so that their commands are in the catalog."""

from domain import (
    accident,
    actor,
    certificate,
    credit_listing,
    data_subject,
    enterprise,
    hazard,
    inspection,
    penalty,
    permit,
    sensor,
)

__all__ = [
    "accident",
    "actor",
    "certificate",
    "credit_listing",
    "data_subject",
    "enterprise",
    "hazard",
    "inspection",
    "penalty",
    "permit",
    "sensor",
]
