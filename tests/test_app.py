from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_api_docs_load_nothing_from_the_internet(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "SwaggerUIBundle" in page.text
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert urls and all(url.startswith("/") for url in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").text
    # Swagger UI 5 (which reads OpenAPI 3.1) names its version in the bundle.
    assert re.search(r'"5\.\d+\.\d+"', bundle)
