"""GET /console: the built staff console, same origin as the API. Hashed assets are cached
for a year, index.html never; a CSP allows no inline script; client routes get index.html;
a missing build says how to make one."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from app.console import CSP
from app.main import create_app
from app.settings import get_settings

INDEX = (
    '<!doctype html><html><head><title>c</title></head><div id="root"></div>'
    '<script type="module" src="/console/assets/index-AbC123.js"></script>'
)


def _client(console_dir: Path) -> httpx.AsyncClient:
    app = create_app(replace(get_settings(), console_dir=console_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest_asyncio.fixture
async def console(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text(INDEX)
    (built / "assets" / "index-AbC123.js").write_text("console.log('hi')")
    (tmp_path / "secret.txt").write_text("not for the web")
    async with _client(built) as client:
        yield client


async def test_index_is_never_cached_and_allows_no_inline_script(
    console: httpx.AsyncClient,
) -> None:
    page = await console.get("/console/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["x-content-type-options"] == "nosniff"
    # the page as built, with a style nonce for React Aria's one <style> element
    nonce = re.search(r'<meta property="csp-nonce" nonce="([\w-]{24})">', page.text)
    assert nonce is not None
    assert page.text.replace(nonce.group(0), "") == INDEX
    csp = page.headers["content-security-policy"]
    assert csp == CSP.format(nonce=nonce.group(1))
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no nonce, no hash
    assert directives["style-src"] == f"'self' 'nonce-{nonce.group(1)}'"
    assert "unsafe" not in csp
    assert directives["frame-ancestors"] == "'none'"
    again = await console.get("/console/")
    assert again.headers["content-security-policy"] != csp  # a new nonce every time


async def test_hashed_assets_are_cached_for_a_year(console: httpx.AsyncClient) -> None:
    asset = await console.get("/console/assets/index-AbC123.js")
    assert asset.status_code == 200
    assert asset.text == "console.log('hi')"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-type"].startswith("text/javascript")
    # a missing asset is a 404, never the page (a stale tab must not run HTML as a script)
    missing = await console.get("/console/assets/index-Gone99.js")
    assert missing.status_code == 404
    assert "immutable" not in missing.headers.get("cache-control", "")


async def test_client_routes_get_the_page(console: httpx.AsyncClient) -> None:
    for path in ("/console/orders", "/console/orders/104", "/console/settings/staff"):
        page = await console.get(path)
        assert (page.status_code, page.text.count('id="root"')) == (200, 1), path
        assert page.headers["cache-control"] == "no-cache"
    bare = await console.get("/console")
    assert (bare.status_code, bare.headers["location"]) == (308, "/console/")


async def test_nothing_outside_the_assets_folder_is_served(
    console: httpx.AsyncClient,
) -> None:
    for path in (
        "/console/assets/%2e%2e/%2e%2e/secret.txt",
        "/console/assets/..%2f..%2fsecret.txt",
    ):
        answer = await console.get(path)
        assert answer.status_code == 404, path
        assert "not for the web" not in answer.text


async def test_a_missing_build_says_how_to_make_one(tmp_path: Path) -> None:
    async with _client(tmp_path / "never-built") as client:
        page = await client.get("/console/orders")
        asset = await client.get("/console/assets/index-AbC123.js")
    assert page.status_code == 503
    assert "scripts/build-console" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert asset.status_code == 404


def test_the_console_folder_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.settings import load_settings

    monkeypatch.delenv("BITCART_CONSOLE_DIR", raising=False)
    checkout = Path(__file__).resolve().parent.parent
    assert load_settings().console_dir == checkout / "console" / "dist"
    monkeypatch.setenv("BITCART_CONSOLE_DIR", str(tmp_path))
    assert load_settings().console_dir == tmp_path
