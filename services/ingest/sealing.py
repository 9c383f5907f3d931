"""Sealing personal data at intake: every value the catalog types as a sealed person and that
arrives as a plain person ({"name", "id_number", "phone"?}) is replaced by its sealed form
before the command is signed, so plaintext never reaches the log (PIPL).
"""

from __future__ import annotations

from typing import Any

from domain.catalog import sealed_fields
from domain.errors import InvalidValue
from ledger.privacy import Vault, VaultError, is_plain_person
from services.ingest.intake import Sealer
from services.ingest.resubmitted_lines import SamePerson


def catalog_sealer(vault: Vault) -> Sealer:
    """A Sealer for services.ingest.intake.Intake backed by `vault`."""

    def seal_value(value: object) -> object:
        if is_plain_person(value):
            assert isinstance(value, dict)
            return vault.seal(value)
        if isinstance(value, dict) and "ref" in value:
            # Sealed already: it must be this vault's seal of a subject it still holds, or
            # whatever text it carries (plaintext included) would enter the log for good.
            try:
                vault.open(value)
            except VaultError as exc:
                raise InvalidValue(
                    f"a sealed person must be sealed by this platform's vault: {exc}",
                    field="data",
                    rule="个人信息保护法 §51",
                ) from None
        return value  # not a person: the catalog schema decides

    def seal(command_type: str, data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for name, many in sealed_fields(command_type).items():
            if name not in out:
                continue
            if not many:
                out[name] = seal_value(out[name])
            elif isinstance(out[name], list):
                out[name] = [seal_value(v) for v in out[name]]
        return out

    return seal


def person_matcher(vault: Vault) -> SamePerson:
    """For services.ingest.resubmitted_lines: a plain person sent again equals the sealed person
    recorded for it when the vault finds it matches the commitment (never once the subject is
    erased)."""

    def same(recorded: object, supplied: object) -> bool:
        if not (isinstance(recorded, dict) and is_plain_person(supplied)):
            return False
        assert isinstance(supplied, dict)
        try:
            return vault.matches(recorded, supplied)
        except VaultError:
            return False

    return same
