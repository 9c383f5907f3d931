"""Typed errors of the audit package.

A failed check is not an exception: verifiers collect `Failure` records (audit/findings.py)
and report every one of them. Exceptions are for not being able to check at all::

    AuditError
    ├── BundleFormatError   the document is not an offline proof bundle (fields, types)
    └── RpcError            the chain node could not be asked (unreachable, JSON-RPC error)
"""

from __future__ import annotations

__all__ = ["AuditError", "BundleFormatError", "RpcError"]


class AuditError(Exception):
    """Base class of every error the audit package raises on purpose."""


class BundleFormatError(AuditError, ValueError):
    """The bundle lacks a field, has an unknown one, or a field has the wrong type or encoding."""


class RpcError(AuditError):
    """The chain node did not answer, or answered a JSON-RPC error."""
