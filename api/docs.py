"""The OpenAPI description of each route's answers: its JSON body and its problem documents."""

from __future__ import annotations

from typing import Any

from api.problems import MEDIA_TYPE, PROBLEM_SCHEMA

__all__ = ["OBJECT", "PAGE", "answers", "page_of"]

OBJECT: dict[str, Any] = {"type": "object"}
PAGE: dict[str, Any] = {
    "type": "object",
    "required": ["items", "next"],
    "properties": {
        "items": {"type": "array", "items": {"type": "object"}},
        "next": {
            "type": ["string", "null"],
            "description": "the next page (absent on the last): the same query with its cursor",
        },
    },
}

TITLES = {
    400: "malformed request (JSON, cursor)",
    401: "no valid credential",
    403: "a right this credential lacks, or a failed CSRF check",
    404: "nothing there, or outside the caller's scope",
    409: "an invalid transition, or a command id recorded for another command",
    413: "request body or batch too large",
    422: "a value breaks a rule or a schema",
    429: "locked out after repeated failed logins",
}


def page_of(item: dict[str, Any] | None = None) -> dict[str, Any]:
    """A page whose items are `item`."""
    if item is None:
        return PAGE
    return {**PAGE, "properties": {**PAGE["properties"], "items": {"type": "array", "items": item}}}


def answers(
    schema: dict[str, Any] | None, *statuses: int, ok: int = 200, auth: bool = True
) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route: `ok` with `schema` (None: no body) and a problem document for
    each of `statuses` (401 added when the route needs a credential; 422 always, FastAPI's own
    validation; 400 always, a query parameter given twice)."""
    out: dict[int | str, dict[str, Any]] = {}
    if schema is None:
        out[ok] = {"description": "done"}
    else:
        out[ok] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    wanted = set(statuses) | {400, 422} | ({401} if auth else set())
    for status in sorted(wanted):
        out[status] = {
            "description": TITLES.get(status, "error"),
            "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
        }
    return out
