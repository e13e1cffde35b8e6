"""The published OpenAPI document describes every catalog route, body and error answer."""

from __future__ import annotations

from typing import Any

from test_openapi_contract import resolve, spec  # noqa: F401 - the module-scoped fixture

ROUTES = {
    ("/v1/content", "get"): (None, "ContentsPublic", {"401", "422"}),
    ("/v1/content", "post"): ("ContentCreate", "ContentPublic", {"401", "409", "422"}),
    ("/v1/content/{asset_id}", "get"): (None, "ContentPublic", {"401", "404", "422"}),
    ("/v1/content/{asset_id}", "put"): ("ContentCreate", "ContentPublic",
                                        {"401", "404", "409", "422"}),
    ("/v1/content/{asset_id}", "patch"): ("ContentUpdate", "ContentPublic",
                                          {"401", "404", "409", "422"}),
    ("/v1/content/{asset_id}", "delete"): (None, None, {"401", "404", "422"}),
}  # fmt: skip


def _ref(node: dict[str, Any]) -> str:
    return str(node["content"]["application/json"]["schema"]["$ref"]).rsplit("/", 1)[1]


def test_every_catalog_route_documents_its_bodies_and_errors(spec: dict[str, Any]) -> None:  # noqa: F811
    for (path, method), (body, answer, errors) in ROUTES.items():
        operation = spec["paths"][path][method]
        assert operation["summary"] and operation["security"] == [{"adminKey": []}]
        if body is not None:
            assert _ref(operation["requestBody"]) == body
        ok = next(s for s in operation["responses"] if s.startswith("2"))
        if answer is not None:
            assert _ref(operation["responses"][ok]) == answer
        assert set(operation["responses"]) - {ok} == errors, (path, method)
        for status in errors:
            assert _ref(operation["responses"][status]) == "ErrorBody", (path, method, status)


def test_catalog_schemas_name_every_field(spec: dict[str, Any]) -> None:  # noqa: F811
    fields = {"asset_id", "url", "title", "format", "buying_stage", "topics", "personas",
              "segments", "signal"}  # fmt: skip
    create = resolve(spec, "#/components/schemas/ContentCreate")
    assert set(create["properties"]) == fields
    assert set(create["required"]) == {"asset_id", "url", "title", "format", "buying_stage"}
    assert set(resolve(spec, "#/components/schemas/ContentUpdate")["properties"]) == fields - {
        "asset_id"
    }
    public = resolve(spec, "#/components/schemas/ContentPublic")
    assert set(public["properties"]) == fields | {"hot", "created_at", "updated_at"}
    params = {p["name"] for p in spec["paths"]["/v1/content"]["get"]["parameters"]}
    assert params == {"stage", "topic", "persona", "segment", "format", "limit", "offset"}
