"""The OpenAPI 3.1 description: every route, and command bodies carrying the catalog's JSON
Schemas, one per command type, discriminated by `type`; docs at /docs; the catalog public."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.catalog import CATALOG
from tests.api.conftest import PUBLIC_URL


def test_openapi_3_1_describes_every_command_type_by_its_catalog_schema(
    client: TestClient,
) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/v1/commands"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/CommandBody"}
    command = schemas["Command"]
    assert command["discriminator"]["propertyName"] == "type"
    assert set(command["discriminator"]["mapping"]) == set(CATALOG)
    assert len(command["oneOf"]) == len(CATALOG)
    for t, spec in CATALOG.items():
        one = schemas[f"Command.{t}"]
        assert one["properties"]["type"]["const"] == t
        data = one["properties"]["data"]
        assert data["properties"] == spec.schema["properties"]
        assert data.get("required") == spec.schema.get("required")


def test_every_route_documents_its_problem_documents(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "application/problem+json" in op["responses"]["422"]["content"], (path, method)


def test_docs_and_the_catalog_need_no_credential(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    catalog = client.get("/v1/catalog").json()["items"]
    assert {c["type"] for c in catalog} == set(CATALOG)
    one = catalog[0]
    assert one["dataschema"] == f"{PUBLIC_URL}/v1/catalog/{one['type']}"
    schema = client.get(f"/v1/catalog/{one['type']}").json()
    assert schema["$id"] == one["dataschema"]
    assert schema["properties"] == CATALOG[one["type"]].schema["properties"]
    assert client.get("/v1/catalog/no.such").status_code == 404
