"""Routing on the path as the client sent it.

WSGI servers and serverless-wsgi percent-decode PATH_INFO, so `/lists/a%2Fb/users/c` arrives as
`/lists/a/b/users/c` and a title containing '/' could not be told apart from more segments. This
middleware puts the raw path back, still encoded, in PATH_INFO; routes then match whole encoded
segments and views decode each segment once (`services.api.app.segment`).
"""

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RawPathMiddleware:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["PATH_INFO"] = raw_path(environ)
        return self.app(environ, start_response)


def raw_path(environ: dict[str, Any]) -> str:
    """The request path, percent-encoded as sent; from API Gateway's rawPath under
    serverless-wsgi, from REQUEST_URI / RAW_URI under a WSGI server."""
    event = environ.get("serverless.event")
    if isinstance(event, dict) and isinstance(event.get("rawPath"), str):
        path: str = event["rawPath"]
    else:
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        path = path.split("?", 1)[0]
    if not path:
        # Nothing raw to go on: re-encode what was decoded (a '/' inside a segment is then lost).
        return quote(environ.get("PATH_INFO", ""), safe="/")
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    script = environ.get("SCRIPT_NAME", "")
    return path[len(script) :] if script and path.startswith(script) else path
