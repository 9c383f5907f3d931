"""Credit ratings: grades from the rulebook, explained by the events that moved them."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from projections import credit
from projections.credit import Credit, compare, history, rating, ratings
from projections.errors import RulebookError
from projections.registry import all_projections
from projections.rulebook import RULEBOOKS, Rulebook, available, load
from projections.timeline import lifecycle
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, YICHANG, World

V1, V2 = available()


def rate_now(w: World, site: Site, when: datetime, book: Rulebook = V1) -> credit.CreditRating:
    w.follower(all_projections()).catch_up()
    with w.engine.connect() as conn:
        r = rating(conn, book, site.uscc, "420000", when)
    assert r is not None
    return r


def event_of(w: World, subject: UUID, ctype: str) -> str:
    ids = [
        r.event_id for r in w.h.records.notifications() if r.subject == subject and r.type == ctype
    ]
    assert len(ids) == 1
    return ids[0]


def rules(r: credit.CreditRating) -> dict[str, str]:
    return {a.rule: a.effect for a in r.applied}


@pytest.mark.parametrize(
    ("level", "grade", "score"),
    [("level1", "A", 90), ("level2", "B", 80), ("level3", "C", 70), ("none", "D", 60)],
)
def test_the_standardisation_level_sets_the_base(
    world: World, level: str, grade: str, score: int
) -> None:
    site = Site(world, WUHAN, "420102", standardisation=level)
    r = rate_now(world, site, at("2024-03-02"))
    assert (r.grade, r.score, rules(r)) == (grade, score, {"CR-01": f"+{score}"})
    assert r.applied[0].events == (f"{world.h.records.history(site.uscc)[0].event_id}",)


def test_two_penalties_in_a_year_drop_one_grade_naming_both_decisions(world: World) -> None:
    site = Site(world, WUHAN, "420102", standardisation="level1")
    first = site.penalty(when=at("2024-03-01"))
    assert rate_now(world, site, at("2024-03-02")).grade == "B"  # 90 − 5 points
    second = site.penalty(when=at("2024-06-01"))
    r = rate_now(world, site, at("2024-06-02"))
    decisions = (
        event_of(world, first, "penalty.decide"),
        event_of(world, second, "penalty.decide"),
    )
    assert (r.score, r.grade) == (80, "C")  # B by score, one grade lower by CR-04
    assert rules(r) == {"CR-01": "+90", "CR-02": "-10", "CR-04": "降1级"}
    assert {a.rule: a.events for a in r.applied}["CR-04"] == decisions


def test_a_penalty_counts_for_a_year_and_its_expiry_is_a_dated_move(world: World) -> None:
    site = Site(world, WUHAN, "420102", standardisation="level1")
    first = site.penalty(when=at("2024-03-01"))
    site.penalty(when=at("2024-06-01"))
    assert rate_now(world, site, at("2025-03-01", 9)).grade == "C"
    assert rate_now(world, site, at("2025-03-01", 11)).grade == "B"  # re-rated at any instant
    site.profile(when=at("2025-04-01"), employees=50)  # the next event about it
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        moves = history(conn, V1, site.uscc, "420100")
    expiry = [m for m in moves if m.cause == "expiry"]
    assert len(expiry) == 1
    assert expiry[0].events == (event_of(world, first, "penalty.decide"),)
    assert expiry[0].at == datetime(2025, 3, 1, 2, 0)  # 10:00 CST a year on, stored in UTC
    assert (expiry[0].grade_before, expiry[0].grade_after) == ("C", "B")


def test_a_revoked_decision_no_longer_counts(world: World) -> None:
    site = Site(world, WUHAN, "420102", standardisation="level1")
    case = site.penalty(when=at("2024-03-01"))
    site.revoke_penalty(case, when=at("2024-03-05"))
    r = rate_now(world, site, at("2024-03-06"))
    assert (r.grade, rules(r)) == ("A", {"CR-01": "+90"})


def test_a_liability_accident_drops_grades_by_its_grade(world: World) -> None:
    liable = Site(world, WUHAN, "420102", standardisation="level1")
    blameless = Site(world, WUHAN, "420102", standardisation="level1")
    a = liable.accident(deaths=3, when=at("2024-03-01"))  # 较大: two grades
    liable.investigate_accident(a, liability=True, when=at("2024-03-02"))
    b = blameless.accident(deaths=3, when=at("2024-03-01"))
    blameless.investigate_accident(b, liability=False, when=at("2024-03-02"))
    r = rate_now(world, liable, at("2024-03-03"))
    assert (r.grade, rules(r)["CR-03"]) == ("C", "降2级")
    assert event_of(world, a, "accident.submit_report") in r.applied[1].events
    assert rate_now(world, blameless, at("2024-03-03")).grade == "A"


def test_an_unremoved_supervised_major_hazard_gives_d_until_closed(world: World) -> None:
    site = Site(world, WUHAN, "420102", standardisation="level1")
    case = site.hazard("major", when=at("2024-03-01"))
    site.supervise(case, when=at("2024-03-01"))
    r = rate_now(world, site, at("2024-03-02"))
    listing = event_of(world, case, "hazard.list_for_supervision")
    assert (r.grade, rules(r)["CR-05"], r.applied[-1].events) == ("D", "→D", (listing,))
    site.remove(case, major=True, when=at("2024-03-05"))
    assert rate_now(world, site, at("2024-03-06")).grade == "A"
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        moves = history(conn, V1, site.uscc, "420100")
    assert [(m.grade_after, m.events) for m in moves[-2:]] == [
        ("D", (listing,)),
        ("A", (event_of(world, case, "hazard.close"),)),
    ]


def test_concealment_gives_d_and_makes_a_dishonesty_candidate(world: World) -> None:
    site = Site(world, WUHAN, "420102", standardisation="level1")
    a = site.accident(deaths=1, when=at("2024-03-01"))
    site.conceal(a, when=at("2024-03-03"))
    r = rate_now(world, site, at("2024-03-04"))
    flag = event_of(world, a, "accident.flag_concealment")
    assert (r.grade, rules(r)["CR-06"]) == ("D", "→D")
    assert [(c.rule, c.events) for c in r.candidate] == [("SD-03", (flag,))]


def test_order_11_accident_cases_make_candidates(world: World) -> None:
    major = Site(world, WUHAN, "420102")
    twice = Site(world, WUHAN, "420102")
    once = Site(world, WUHAN, "420102")
    m = major.accident(deaths=10, when=at("2024-03-01"))
    twice.accident(deaths=3, when=at("2024-03-01"))
    twice.accident(injuries=12, when=at("2024-12-01"))
    once.accident(deaths=3, when=at("2024-03-01"))
    r = rate_now(world, major, at("2024-03-02"))
    assert [(c.rule, c.events) for c in r.candidate] == [
        ("SD-01", (event_of(world, m, "accident.report"),))
    ]
    assert [c.rule for c in rate_now(world, twice, at("2024-12-02")).candidate] == ["SD-02"]
    assert rate_now(world, once, at("2024-12-02")).candidate == ()
    # Two 较大 accidents more than 12 months apart are not a case.
    assert rate_now(world, twice, at("2025-03-02")).candidate == ()


def test_every_explanation_names_events_of_the_enterprise_history_and_a_rule(
    world: World,
) -> None:
    sites = [
        Site(world, WUHAN, "420102", standardisation="level1"),
        Site(world, YICHANG, "420502", standardisation="level3"),
    ]
    for i, s in enumerate(sites):
        s.penalty(when=at("2024-03-01"))
        s.penalty(when=at("2024-04-01"))
        acc = s.accident(deaths=1 + i * 9, when=at("2024-05-01"))
        s.investigate_accident(acc, liability=True, when=at("2024-05-02"))
        h = s.hazard("major", when=at("2024-05-03"))
        s.supervise(h, when=at("2024-05-03"))
        s.conceal(s.accident(when=at("2024-05-04")), when=at("2024-05-05"))
    world.follower(all_projections()).catch_up()
    known_rules = {r["id"] for b in (V1, V2) for r in (*b.rules, *b.dishonesty)}
    with world.engine.connect() as conn:
        for book in (V1, V2):
            for r in ratings(conn, book, "420000", at("2024-06-01")):
                shown = {h.event_id for h in world.h.records.history(r.uscc)}
                for a in (*r.applied, *r.candidate):
                    assert a.rule in known_rules
                    assert a.events
                    assert set(a.events) <= shown, (a.rule, set(a.events) - shown)
                moves = history(conn, book, r.uscc, "420000")
                assert moves
                for m in moves:
                    assert set(m.events) <= shown
                    assert m.rules
                    assert set(m.rules) <= known_rules


def test_a_new_rulebook_version_rates_the_same_history_and_can_be_compared(
    world: World,
) -> None:
    site = Site(world, WUHAN, "420102", standardisation="level1")
    a = site.accident(deaths=3, when=at("2024-03-01"))
    site.investigate_accident(a, liability=True, when=at("2024-03-02"))
    assert rate_now(world, site, at("2024-03-03"), V1).grade == "C"
    assert rate_now(world, site, at("2024-03-03"), V2).grade == "D"  # 较大 → 3 grades
    with world.engine.connect() as conn:
        diff = compare(conn, [V1, V2], "420100", at("2024-03-03"))
    assert [(c.uscc, c.grades) for c in diff] == [(site.uscc, {"v1": "C", "v2": "D"})]


def test_editing_a_rulebook_re_rates_everyone_by_rebuild(world: World, tmp_path: Path) -> None:
    books = tmp_path / "rulebooks"
    books.mkdir()
    shutil.copy(RULEBOOKS / "credit-v1.json", books / "credit-v1.json")
    site = Site(world, WUHAN, "420102", standardisation="level2")
    world.follower([Credit(load(books / "credit-v1.json"))]).catch_up()
    doc = json.loads((books / "credit-v1.json").read_text())
    doc["rules"][0]["scores"]["level2"] = 95
    (books / "credit-v1.json").write_text(json.dumps(doc, ensure_ascii=False))
    edited = load(books / "credit-v1.json")
    assert edited.digest != V1.digest
    world.follower([Credit(edited)]).catch_up()
    with world.engine.connect() as conn:
        row = conn.execute(
            select(credit.credit.c.grade, credit.credit.c.score).where(
                credit.credit.c.uscc == site.uscc
            )
        ).one()
    assert tuple(row) == ("A", 95)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"].append({"id": "X", "kind": "karma", "name": "?"}), "unknown kind"),
        (lambda d: d["rules"][0]["scores"].pop("none"), "every level"),
        (lambda d: d["grades"].reverse(), "best first"),
        (lambda d: d["rules"].append(dict(d["rules"][1])), "repeat"),
    ],
)
def test_a_malformed_rulebook_is_refused_naming_the_file(
    tmp_path: Path, change: object, message: str
) -> None:
    doc = json.loads((RULEBOOKS / "credit-v1.json").read_text())
    change(doc)  # type: ignore[operator]
    path = tmp_path / "credit-bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(RulebookError, match=f"credit-bad.json.*{message}"):
        load(path)


def test_grades_move_only_with_events_or_windows(world: World) -> None:
    """History reads as a sequence: each move starts where the previous one ended."""
    site = Site(world, WUHAN, "420102", standardisation="level1")
    for month in range(1, 10):
        site.penalty(when=at(f"2024-{month:02d}-01"))
    site.profile(when=at("2025-09-01"), employees=9)
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        moves = history(conn, V1, site.uscc, "420100")
    for before, after in itertools.pairwise(moves):
        assert (after.score_before, after.grade_before) == (before.score_after, before.grade_after)
    assert moves[-1].grade_after == "A"
    assert timedelta(0) <= moves[-1].at - moves[-2].at


def test_a_listing_on_the_dishonesty_list_gives_d_until_removed(world: World) -> None:

    site = Site(world, WUHAN, "420102", standardisation="level1")
    acc = site.accident(deaths=1, when=at("2024-03-01"))
    site.conceal(acc, when=at("2024-03-02"))
    flag = event_of(world, acc, "accident.flag_concealment")
    listing = uuid4()
    site.run(
        "credit.notify",
        {
            "enterprise": site.uscc,
            "case": "concealment",
            "facts": "瞒报",
            "basis": "令第11号 第5条",
            "evidence": [flag],
        },
        listing,
        when=at("2024-03-03"),
    )
    site.run("credit.list", {"decision_no": "L-1"}, listing, when=at("2024-03-10"))
    listed = event_of(world, listing, "credit.list")
    r = rate_now(world, site, at("2024-03-11"))
    assert {a.rule: a.events for a in r.applied}["CR-07"] == (listed,)
    with world.engine.connect() as conn:
        life = lifecycle(conn, site.uscc, "420100")
    assert life.stages["信用"] == [event_of(world, listing, "credit.notify"), listed]
    site.run(
        "credit.remove",
        {"grounds": "credit_repair", "repair_evidence": "已整改"},
        listing,
        when=at("2025-03-10"),
    )
    r = rate_now(world, site, at("2027-04-01"))  # the concealment's 3 years have run out too
    assert (r.grade, "CR-07" in rules(r)) == ("A", False)
