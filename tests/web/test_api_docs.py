"""``/docs`` and ``/redoc`` work without the Internet, and the OpenAPI schema they show is complete."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dailypapers.settings import Settings
from dailypapers.web.app import create_app

#: An address of another site that a page would load (a script, a style sheet, an icon).
OUTSIDE_RESOURCE = re.compile(r"""<(?:script|link|img)\b[^>]*\s(?:src|href)=["']https?://""")


def test_docs_are_the_sites_own_page_of_the_api(site: TestClient) -> None:
    answer = site.get("/docs")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert not OUTSIDE_RESOURCE.search(answer.text)
    assert "<code>GET /api/daily_papers</code>" in answer.text
    assert "<code>POST /api/digest/subscribe</code>" in answer.text
    assert "<code>email</code> (required)" in answer.text, "the JSON body's fields are listed"
    redoc = site.get("/redoc", follow_redirects=False)
    assert (redoc.status_code, redoc.headers["location"]) == (307, "/docs")


def test_docs_are_swagger_ui_from_the_site_when_its_files_are_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``fastapi-offline`` installed, its Swagger UI and ReDoc files are served by the site."""
    assets = tmp_path / "static"
    assets.mkdir()
    for name in ["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"]:
        (assets / name).write_text(f"/* {name} */")
    monkeypatch.setattr("dailypapers.web.app.bundled_assets", lambda: assets)
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data")))
    for page, files in [
        ("/docs", ["swagger-ui-bundle.js", "swagger-ui.css"]),
        ("/redoc", ["redoc.standalone.js"]),
    ]:
        html = client.get(page).text
        assert not OUTSIDE_RESOURCE.search(html), page
        for name in files:
            assert f"/docs/assets/{name}" in html
            assert client.get(f"/docs/assets/{name}").text == f"/* {name} */"
