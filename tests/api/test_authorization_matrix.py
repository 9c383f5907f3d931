"""The authorization matrix: every role and scope against every kind of route, cross-county,
cross-prefecture and cross-enterprise, each cell asserted; docs/API.md holds the same table.

Callers (tests/api/conftest.py TOKENS): regulators of Hubei province (reg-prov), Wuhan
(reg-wh, and a read-only token of it), Jianghan district of Wuhan (reg-jh) and Yichang
(reg-yc); the enterprise accounts of a Jianghan enterprise (ent-wh) and a Yichang one (ent-yc);
an auditor, an integrator of Wuhan and an admin. The Wuhan enterprises: `wuhan` in Jianghan
(420102), `wuhan2` in Hongshan (420111); `yichang` in Yichang (420502).
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import TOKENS, World, bearer, hazard

DOC = Path(__file__).parents[2] / "docs" / "API.md"
COLUMNS = list(TOKENS)

# route → expected status for each caller, in the order of COLUMNS:
#   reg-wh reg-wh-read reg-yc reg-prov reg-jh ent-wh ent-yc auditor integrator admin
MATRIX: dict[str, tuple[int, ...]] = {
    "GET /v1/enterprises/{wuhan}": (200, 200, 404, 200, 200, 200, 404, 404, 200, 404),
    "GET /v1/enterprises/{wuhan2}": (200, 200, 404, 200, 404, 404, 404, 404, 200, 404),
    "GET /v1/enterprises/{yichang}": (404, 404, 200, 200, 404, 404, 200, 404, 404, 404),
    "GET /v1/enterprises/{wuhan}/history": (200, 200, 404, 200, 200, 200, 404, 404, 200, 404),
    "GET /v1/enterprises/{yichang}/history": (404, 404, 200, 200, 404, 404, 200, 404, 404, 404),
    "GET /v1/enterprises/{wuhan}/credit": (200, 200, 404, 200, 200, 200, 404, 404, 200, 404),
    "GET /v1/hazards?region=420100": (200, 200, 404, 200, 404, 200, 200, 404, 200, 404),
    "GET /v1/hazards?region=420500": (404, 404, 200, 200, 404, 200, 200, 404, 404, 404),
    "GET /v1/todo?region=420100": (200, 200, 404, 200, 404, 200, 200, 404, 200, 404),
    "GET /v1/todo?region=420500": (404, 404, 200, 200, 404, 200, 200, 404, 404, 404),
    "GET /v1/documents?number=1&region=420100": (200, 200, 404, 200, 404, 200, 200, 404, 200, 404),
    "GET /v1/events/{wuhan-hazard}": (200, 200, 404, 200, 200, 200, 404, 200, 200, 404),
    "GET /v1/events/{yichang-hazard}": (404, 404, 200, 200, 404, 404, 200, 200, 404, 404),
    "GET /v1/analytics/risk_heat": (200, 200, 200, 200, 200, 404, 404, 404, 200, 404),
    "GET /v1/anchors": (200,) * 10,
    "GET /v1/actors/r-wh/keys": (200,) * 10,
    "POST /v1/commands hazard.report {wuhan}": (403, 403, 403, 403, 403, 200, 403, 403, 403, 403),
}

# what an enterprise reads of a list: its own rows only (hazards listed per caller)
ROWS = {
    "GET /v1/hazards?region=420100": (1, 1, None, 1, None, 1, 0, None, 1, None),
    "GET /v1/hazards?region=420500": (None, None, 1, 1, None, 0, 1, None, None, None),
}


def url(route: str, world: World) -> str:
    path = route.split(" ")[1]
    return (
        path.replace("{wuhan}", world.wuhan)
        .replace("{wuhan2}", world.wuhan2)
        .replace("{yichang}", world.yichang)
        .replace("{wuhan-hazard}", world.hazard)
        .replace("{yichang-hazard}", world.yichang_hazard)
    )


def status(client: TestClient, world: World, route: str, token: str) -> tuple[int, int | None]:
    """The status of `route` for the caller of `token`, and the rows of a list it got."""
    if route.startswith("POST"):
        account = TOKENS[token][0]
        body = hazard(world.wuhan, "420102", account, f"{token} 报告")
        r = client.post("/v1/commands", json=body, headers=bearer(token))
        return r.status_code, None
    r = client.get(url(route, world), headers=bearer(token))
    items = r.json().get("items") if r.status_code == 200 else None
    return r.status_code, len(items) if isinstance(items, list) else None


def test_every_cell_of_the_authorization_matrix(client: TestClient, world: World) -> None:
    got = {}
    rows = {}
    for route in MATRIX:
        cells = [status(client, world, route, token) for token in COLUMNS]
        got[route] = tuple(c[0] for c in cells)
        rows[route] = tuple(c[1] for c in cells)
    assert got == MATRIX
    for route, counts in ROWS.items():
        assert rows[route] == counts, route


def test_refused_reads_are_404_never_403(client: TestClient, world: World) -> None:
    for route, cells in MATRIX.items():
        if route.startswith("GET"):
            assert 403 not in cells, route


def render() -> str:
    """The matrix as the Markdown table of docs/API.md."""
    head = "| route | " + " | ".join(COLUMNS) + " |"
    rule = "|---|" + "---|" * len(COLUMNS)
    lines = [head, rule]
    for route, cells in MATRIX.items():
        lines.append(f"| `{route}` | " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def test_docs_hold_the_matrix_the_tests_assert() -> None:
    assert render() in DOC.read_text(encoding="utf-8")
