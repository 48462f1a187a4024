"""The OpenAPI document is the API: same operations as the app's routes, both ways, and valid."""

from __future__ import annotations

import json
import re

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

PUBLIC = {("/api/health", "get"), ("/api/openapi.json", "get")}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(chalice_app):
    from chalicelib.openapi import OPENAPI

    return OPENAPI


def route_operations(app) -> set[tuple[str, str]]:
    """The app's operations (its OPTIONS routes are CORS preflights, not operations)."""
    return {
        (path, method.lower())
        for path, methods in app.routes.items()
        for method in methods
        if method.lower() in METHODS
    }


def document_operations(document) -> set[tuple[str, str]]:
    return {
        (path, method) for path, item in document["paths"].items() for method in item if method in METHODS
    }


def test_every_route_is_documented_and_every_operation_exists(chalice_app, document) -> None:
    routes, operations = route_operations(chalice_app), document_operations(document)
    assert routes - operations == set(), "routes missing from the OpenAPI document"
    assert operations - routes == set(), "documented operations the app does not have"


def test_the_document_is_valid_openapi(document) -> None:
    validate(json.loads(json.dumps(document)))


def test_path_parameters_match_the_routes(document) -> None:
    for path, item in document["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path


def test_security_is_declared_as_enforced(document) -> None:
    for path, method in document_operations(document):
        operation = document["paths"][path][method]
        if (path, method) in PUBLIC:
            assert operation["security"] == []
        else:
            assert "security" not in operation and document["security"] == [{"bearerAuth": []}]
            assert "401" in operation["responses"], (path, method)


def test_the_served_document_is_this_one(chalice_app, document) -> None:
    with Client(chalice_app) as client:
        response = client.http.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json_body == json.loads(json.dumps(document))
