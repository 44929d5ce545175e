"""The console at /ui/ (services/api/console/): its files served with a strict policy of their
own, from the API in Lambda as under `listmgr up`, and built so that no data ever runs: no
markup from data, no eval, nothing fetched from anywhere but the API. The deployed API has none
of the stack's local endpoints. The browser tests (tests/e2e/test_console.py) drive the page."""

import ast
import base64
import re
from pathlib import Path
from typing import Any

import pytest
import serverless_wsgi

from listmgr.cli.commands import LIST_API_HANDLER, banner
from services.api.console import CONSOLE_POLICY, MEDIA_TYPES, STATIC
from services.api.testing import http_api_event
from tests.api_fakes import World
from tests.support.aws import ROOT

ASSETS = sorted(path.name for path in STATIC.iterdir())


@pytest.fixture
def world() -> World:
    return World()


def lambda_call(world: World, path: str) -> dict[str, Any]:
    response: dict[str, Any] = serverless_wsgi.handle_request(world.app, http_api_event("GET", path), None)
    return response


def lambda_body(response: dict[str, Any]) -> str:
    text = str(response.get("body") or "")
    return base64.b64decode(text).decode() if response.get("isBase64Encoded") else text


def policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_ui_redirects_to_the_folder_relative_to_where_it_is_mounted(world: World) -> None:
    answer = world.client.get("/ui")
    assert answer.status_code == 308 and answer.headers["Location"] == "ui/"


def test_the_page_and_every_file_it_loads_are_served_with_their_type_and_a_strict_policy(
    world: World,
) -> None:
    page = world.client.get("/ui/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    loaded = set(re.findall(r'(?:src|href)="([^"#]+)"', html))
    for script in STATIC.glob("*.js"):
        loaded |= set(re.findall(r'from "\./([^"]+)"', script.read_text()))
    assert loaded <= set(ASSETS) and "console.js" in loaded
    for name in [*sorted(loaded), "index.html"]:
        answer = world.client.get(f"/ui/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["Content-Type"] == MEDIA_TYPES[Path(name).suffix]
        assert answer.headers["Content-Security-Policy"] == CONSOLE_POLICY
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    directives = policy(CONSOLE_POLICY)
    assert directives["default-src"] == ["'none'"]
    for kind in ("script-src", "style-src", "connect-src", "img-src"):
        assert directives[kind] == ["'self'"], kind
    assert directives["frame-ancestors"] == ["'none'"] and directives["form-action"] == ["'none'"]


def test_the_api_keeps_its_own_policy_outside_the_console(world: World) -> None:
    assert policy(world.client.get("/lists").headers["Content-Security-Policy"])["default-src"] == ["'none'"]


@pytest.mark.parametrize("name", ["nothing.js", "__init__.py", "..%2F__init__.py", "INDEX.HTML", ".js"])
def test_only_the_consoles_own_files_are_served(world: World, name: str) -> None:
    answer = world.client.get(f"/ui/{name}")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"


def test_the_console_is_served_by_the_lambda_function_behind_an_http_api(world: World) -> None:
    page = lambda_call(world, "/ui/")
    assert page["statusCode"] == 200 and "<title>list manager console</title>" in lambda_body(page)
    assert page["headers"]["Content-Security-Policy"] == CONSOLE_POLICY
    script = lambda_call(world, "/ui/console.js")
    assert script["statusCode"] == 200 and script["headers"]["Content-Type"].startswith("text/javascript")


def test_the_path_probe_tells_the_page_how_many_times_to_encode_names(world: World) -> None:
    # A WSGI server passes the path on as sent: one decoding leaves "%41".
    assert world.client.get("/ui/path-probe/%2541").get_json() == {"name": "%41"}
    # An HTTP API decodes the path once before the function: "A" comes back, names go twice.
    through_lambda = lambda_call(world, "/ui/path-probe/%2541")
    assert through_lambda["statusCode"] == 200 and lambda_body(through_lambda) == '{"name":"A"}'


def test_the_deployed_api_has_none_of_the_stacks_local_endpoints(world: World) -> None:
    assert [rule.rule for rule in world.app.url_map.iter_rules() if rule.rule.startswith("/local")] == []
    for path in ("/local/status", "/local/events", "/local/mappings", "/local/failures"):
        answer = lambda_call(world, path)
        assert answer["statusCode"] == 404, path
    # Nor could it: the API's code never imports the stack's (listmgr/cli/console_server.py).
    for source in (ROOT / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                )
                assert not any(name.split(".")[0] == "listmgr" for name in names), source


# What would let data run as code, store the key, or reach past the API.
FORBIDDEN = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*[\"'`]"
    r"|localStorage|sessionStorage|document\.cookie|indexedDB|window\.location\s*=|history\.pushState"
)
NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.mark.parametrize("name", ASSETS)
def test_no_file_of_the_console_makes_markup_from_data_stores_the_key_or_reaches_another_host(
    name: str,
) -> None:
    text = (STATIC / name).read_text()
    assert FORBIDDEN.findall(text) == []
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text.replace(NAMESPACE, "")) == []


def test_the_page_has_no_inline_script_style_or_handler() -> None:
    html = (STATIC / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<style|\sstyle=|\son[a-z]+=", html) == []


def test_the_banner_of_listmgr_up_links_the_console_of_the_list_managers_api() -> None:
    described = {
        "service": "list-manager",
        "api_url": "http://127.0.0.1:8000",
        "api_handler": LIST_API_HANDLER,
        "api_key": "lm_key",
    }
    text = banner({**described, "aws_endpoint_url": "http://127.0.0.1:4566", "region": "us-east-1"}, None)
    assert "  console       http://127.0.0.1:8000/ui/" in text.splitlines()
    another = banner({**described, "api_handler": "app.handle", "aws_endpoint_url": "x", "region": "y"}, None)
    assert "/ui/" not in another
