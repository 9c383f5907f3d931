"""`/v1/catalog`: the catalog (信息资源目录), public: every command type with its names, roles,
legal basis and the JSON Schema of its data (the `dataschema` of CloudEvents carrying it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from api.auth import backend_of
from api.command_schemas import data_schema
from api.docs import OBJECT, answers
from api.problems import Problem
from domain.catalog import CATALOG

router = APIRouter(prefix="/v1/catalog", tags=["catalog"])


@router.get("", responses=answers(OBJECT, auth=False))
def catalog(request: Request) -> JSONResponse:
    """Every command and event type (as `anjian catalog --json`), each with `dataschema`, the
    URL of its JSON Schema."""
    public = backend_of(request).public_url
    items = [
        {**CATALOG[t].describe(), "dataschema": f"{public}/v1/catalog/{t}"} for t in sorted(CATALOG)
    ]
    return JSONResponse({"items": items})


@router.get("/{command_type}", responses=answers(OBJECT, 404, auth=False))
def schema(request: Request, command_type: Annotated[str, Path(max_length=60)]) -> JSONResponse:
    """The JSON Schema (2020-12) of one command type's data."""
    if command_type not in CATALOG:
        raise Problem(404, "NotFound", f"no command type {command_type!r} in the catalog")
    return JSONResponse(data_schema(command_type, backend_of(request).public_url))
