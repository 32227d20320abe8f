"""``/docs`` and ``/redoc`` served by the site itself, so that they work on a lab's network without the
Internet (FastAPI's own pages load Swagger UI and ReDoc from a CDN, and stay blank offline).

With the ``fastapi-offline`` package installed, its copies of Swagger UI and ReDoc are served from
``/docs/assets``. Without it, ``/docs`` is the site's own page of the OpenAPI schema, rendered on the
server (no script needed), and ``/redoc`` leads there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from dailypapers.web.rendering import Renderer

#: Under /docs, as /static is the site's own mount and would answer first.
ASSETS_PATH = "/docs/assets"
_METHODS = ("get", "post", "put", "patch", "delete")


def bundled_assets() -> Path | None:
    """The folder of Swagger UI and ReDoc files that ``fastapi-offline`` ships, if it is installed."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def install_api_docs(app: FastAPI, renderer: Renderer, assets: Path | None) -> None:
    """Add ``/docs`` and ``/redoc`` to ``app`` (made with ``docs_url=None, redoc_url=None``): the
    interactive pages from ``assets`` when given, else the server-rendered reference."""
    openapi_url = app.openapi_url or "/openapi.json"
    if assets is not None:
        app.mount(ASSETS_PATH, StaticFiles(directory=assets), name="api-docs")
        favicon = f"{ASSETS_PATH}/favicon.png" if (assets / "favicon.png").is_file() else ""

        @app.get("/docs", include_in_schema=False)
        def swagger_ui() -> HTMLResponse:
            return get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} API",
                swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=favicon,
            )

        @app.get("/redoc", include_in_schema=False)
        def redoc() -> HTMLResponse:
            return get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} API",
                redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )

        return

    @app.get("/docs", include_in_schema=False)
    def api_reference(request: Request) -> HTMLResponse:
        return renderer.page(
            request, "api_docs.html", operations=operations(app.openapi()), openapi_url=openapi_url
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc_reference() -> Response:
        return RedirectResponse("/docs", status_code=307)


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of an OpenAPI schema as the reference page lists it: method, path, summary,
    description, parameters, and the fields of its JSON body."""
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, methods in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = methods.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            reference = body.get("schema", {}).get("$ref", "")
            body_schema = components.get(reference.rsplit("/", 1)[-1], {}) if reference else {}
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    # Docstrings mark code as ``code``; the page shows it as plain text.
                    "description": operation.get("description", "").replace("``", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter.get("in", ""),
                            "required": parameter.get("required", False),
                            "type": _type_of(parameter.get("schema", {})),
                            "default": parameter.get("schema", {}).get("default"),
                            "description": parameter.get("description")
                            or parameter.get("schema", {}).get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": [
                        {
                            "name": name,
                            "required": name in body_schema.get("required", []),
                            "type": _type_of(field),
                            "default": field.get("default"),
                        }
                        for name, field in body_schema.get("properties", {}).items()
                    ],
                }
            )
    return found


def _type_of(field: dict[str, Any]) -> str:
    """``string``, ``integer``, ``array of string``, ``string or null``, ``one of: a, b``."""
    if "enum" in field:
        return "one of: " + ", ".join(str(value) for value in field["enum"])
    if "anyOf" in field:
        return " or ".join(_type_of(option) for option in field["anyOf"])
    kind = str(field.get("type", "any"))
    if kind == "array":
        return f"array of {_type_of(field.get('items', {}))}"
    return kind
