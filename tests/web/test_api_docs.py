"""``/docs`` and ``/redoc`` work without the Internet, and the OpenAPI schema they show is complete."""

import re

from fastapi.testclient import TestClient

#: An address of another site that a page would load (a script, a style sheet, an icon).
OUTSIDE_RESOURCE = re.compile(r"""<(?:script|link|img)\b[^>]*\s(?:src|href)=["']https?://""")


def test_swagger_ui_and_redoc_load_every_file_from_the_site(site: TestClient) -> None:
    for page, files in [
        ("/docs", ["swagger-ui-bundle.js", "swagger-ui.css"]),
        ("/redoc", ["redoc.standalone.js"]),
    ]:
        html = site.get(page).text
        assert not OUTSIDE_RESOURCE.search(html), page
        for name in files:
            assert f"/docs/assets/{name}" in html
            answer = site.get(f"/docs/assets/{name}")
            assert answer.status_code == 200 and len(answer.content) > 10_000


def test_the_schema_documents_the_digest_subscription(site: TestClient) -> None:
    schema = site.get("/openapi.json").json()
    assert "post" in schema["paths"]["/api/digest/subscribe"]
    assert "get" in schema["paths"]["/api/daily_papers"]
