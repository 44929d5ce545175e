"""The web console at /ui/: static files (plain HTML, CSS and JavaScript modules in `static/`,
no dependencies, nothing fetched from anywhere but this API) served by the API itself, in AWS
and under `listmgr up` alike. README "Console"; the page's design: docs/console.md.

The page is data-free: it reads and writes lists through the public API, from its own origin,
so it needs no CORS. Its responses get a Content-Security-Policy of their own, strict: scripts,
styles and images from this origin only, nothing inline, no eval, requests to this origin only.
"""

import re
from pathlib import Path

from flask import Flask, Response, redirect

from services.api.errors import ApiError, json_response
from services.api.names import path_name

STATIC = Path(__file__).with_name("static")
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
"""Written out, not guessed from the system's tables: a module script must be served as JavaScript."""
_ASSET = re.compile(r"[a-z0-9-]{1,40}\.(html|js|css|svg)")
CONSOLE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def register(app: Flask) -> None:
    """The console's routes on the API's app."""
    app.add_url_rule("/ui", "console", lambda: redirect("ui/", 308), methods=["GET"])
    app.add_url_rule("/ui/", "console index", lambda: asset("index.html"), methods=["GET"])
    app.add_url_rule("/ui/<name>", "console asset", asset, methods=["GET"])
    app.add_url_rule("/ui/path-probe/<segment>", "console path probe", path_probe, methods=["GET"])


def asset(name: str) -> Response:
    path = STATIC / name
    if not _ASSET.fullmatch(name) or not path.is_file():
        raise ApiError(404, "not_found", "no such file of the console")
    response = Response(path.read_bytes(), status=200, content_type=MEDIA_TYPES[path.suffix])
    response.headers["Content-Security-Policy"] = CONSOLE_POLICY
    return response


def path_probe(segment: str) -> Response:
    """The name a path segment arrives as, decoded once as every name in a path is: the page
    sends `%2541` and learns whether something before the API decoded it already (an API
    Gateway HTTP API does: "A" comes back, so names go percent-encoded twice; see
    services/api/raw_path.py) or not ("%41": once)."""
    return json_response(200, {"name": path_name(segment, "segment")})
