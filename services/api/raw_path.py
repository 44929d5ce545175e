"""Routing on the path as the client sent it.

WSGI servers and serverless-wsgi percent-decode PATH_INFO, so `/lists/a%2Fb/users/c` arrives as
`/lists/a/b/users/c` and a title containing '/' could not be told apart from more segments. This
middleware puts the path back in PATH_INFO still percent-encoded, always as ASCII; routes then
match whole encoded segments and views decode each segment once (`services.api.names`).

Where the path comes from:
- a WSGI server (waitress, gunicorn, werkzeug): REQUEST_URI / RAW_URI, exactly as sent;
- API Gateway through serverless-wsgi: the event's `rawPath`. A REST API, a Lambda function URL
  or an ALB passes it on as sent. An HTTP API (payload 1.0 and 2.0 alike) has already
  percent-decoded it once: `/lists/a%2Fb` reaches the function as `/lists/a/b`, and a decoded
  `?` is reported to end the path. Clients of an HTTP API therefore percent-encode each segment
  twice (`a%252Fb`), which this middleware then sees as `a%2Fb`, the same as a WSGI server.
  Characters that cannot stand in an encoded path (spaces, emoji, '#') are encoded again here,
  so names without '/', '%' or '?' need no double encoding.
"""

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote_from_bytes

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

PATH_SAFE = "/%!$&'()*+,;=:@"
"""What may stand unencoded in a path besides letters, digits and '-._~' (RFC 3986), with '%'
kept so the client's escapes stay as sent."""


class RawPathMiddleware:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["PATH_INFO"] = raw_path(environ)
        return self.app(environ, start_response)


def raw_path(environ: dict[str, Any]) -> str:
    """The request path below SCRIPT_NAME, percent-encoded as sent, in ASCII."""
    path = quote_from_bytes(_path_as_sent(environ), safe=PATH_SAFE)
    script = environ.get("SCRIPT_NAME", "")
    return path[len(script) :] if script and path.startswith(script + "/") else path


def _path_as_sent(environ: dict[str, Any]) -> bytes:
    event = environ.get("serverless.event")
    if isinstance(event, dict) and isinstance(event.get("rawPath"), str):
        # A real str from the event's JSON; a lone surrogate stays visible as bytes that are
        # not UTF-8, which the name decoding then refuses.
        raw_path: str = event["rawPath"]
        return raw_path.encode("utf-8", "surrogatepass")
    # WSGI strings carry the request's bytes as latin-1 (PEP 3333).
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not uri:
        # Nothing raw to go on: the decoded path (a '/' inside a segment is then lost).
        return str(environ.get("PATH_INFO", "")).encode("latin-1", "replace")
    path = str(uri).split("?", 1)[0]
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    return path.encode("latin-1", "replace")
