"""Erasing a data subject's personal data (个人信息保护法 §47): an event naming the record
that holds the subject, signed by a regulator of that record's region or by the platform."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.actor import PLATFORM_ACCOUNT
from domain.catalog import CATALOG
from domain.certificate import TrainingCertificate
from domain.data_subject import DataSubject
from domain.errors import AlreadyExists, InvalidValue, NotAuthorized, NotFound
from tests.domain.test_certificate import REGION, issue
from tests.support import Harness


@pytest.fixture
def cert(h: Harness, regulator: str) -> UUID:
    return issue(h, regulator, h.enterprise(regulator))


def holder_of(h: Harness, cert: UUID) -> UUID:
    return UUID(h.records.load(cert, TrainingCertificate).holder_ref)


def erase(
    h: Harness, who: str, subject: UUID, record: UUID, region: str = REGION, **data: str
) -> None:
    h.run_as(who, "person.erase", region, {"record": str(record), **data}, subject=subject)


def test_erasure_is_a_catalog_command_of_regulators_and_the_platform_under_pipl_47() -> None:
    spec = CATALOG["person.erase"]
    assert (spec.zh, spec.en) == ("删除个人信息", "Erase personal data")
    assert spec.event == "PersonalDataErased"
    assert spec.roles == {"regulator", "platform"}
    assert spec.rule == "个人信息保护法 §47"
    assert spec.schema["required"] == ["record"]


def test_a_regulator_of_the_records_region_erases_its_holder(
    h: Harness, regulator: str, cert: UUID
) -> None:
    subject = holder_of(h, cert)
    erase(h, regulator, subject, cert, reason="持证人撤回同意")
    erased = h.records.load(subject, DataSubject)
    assert (erased.status, erased.record_id) == ("erased", str(cert))
    assert erased.reason == "持证人撤回同意"


def test_the_platform_may_erase(h: Harness, cert: UUID) -> None:
    erase(h, PLATFORM_ACCOUNT, holder_of(h, cert), cert)


def test_an_enterprise_may_not_erase(h: Harness, regulator: str, cert: UUID) -> None:
    uscc = h.records.load(cert, TrainingCertificate).enterprise
    h.actor("e-1", "enterprise", REGION, enterprise=uscc)
    with pytest.raises(NotAuthorized, match="may not issue"):
        erase(h, "e-1", holder_of(h, cert), cert)


def test_a_regulator_elsewhere_may_not_erase(h: Harness, cert: UUID) -> None:
    h.actor("r-yichang", "regulator", "420500")
    with pytest.raises(NotAuthorized, match="outside the jurisdiction"):
        erase(h, "r-yichang", holder_of(h, cert), cert)
    with pytest.raises(InvalidValue, match="is in region 420102, not 420502"):
        erase(h, "r-yichang", holder_of(h, cert), cert, region="420502")


def test_the_record_must_hold_the_subject(h: Harness, regulator: str, cert: UUID) -> None:
    with pytest.raises(InvalidValue, match="holds no personal data of subject"):
        erase(h, regulator, uuid4(), cert)
    with pytest.raises(NotFound, match="no record"):
        erase(h, regulator, holder_of(h, cert), uuid4())


def test_a_subject_is_erased_once(h: Harness, regulator: str, cert: UUID) -> None:
    subject = holder_of(h, cert)
    erase(h, regulator, subject, cert)
    with pytest.raises(AlreadyExists, match="erased already"):
        erase(h, regulator, subject, cert)
    assert h.records.load(subject, DataSubject).version == 1
