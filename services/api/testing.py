"""API Gateway HTTP API events (payload format 2.0) as the API function receives them, for tests
of the real Lambda path through serverless-wsgi.

API Gateway hands an HTTP API's path to Lambda percent-decoded once: a request for
`/lists/a%2Fb` arrives with `rawPath` `/lists/a/b`, and a decoded '?' is reported to end the path.
The query string stays as sent. `http_api_event` does the same to the path it is given.
"""

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

API_HOST = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"


def http_api_event(
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The event for a request to `path` (percent-encoded, with its query string) as a client
    sends it to an HTTP API's `$default` stage."""
    target, _, query = path.partition("?")
    raw_path = unquote(target).split("?", 1)[0]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {"host": API_HOST, **{name.lower(): value for name, value in (headers or {}).items()}},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_HOST.split(".", 1)[0],
            "domainName": API_HOST,
            "domainPrefix": API_HOST.split(".", 1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "tests",
            },
            "requestId": "request-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "23/Nov/2026:10:15:02 +0000",
            "timeEpoch": 1_795_428_902_000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = _query_parameters(query)
    if body is not None:
        event.update(_body(body))
    return event


def _query_parameters(query: str) -> dict[str, str]:
    """Decoded, with repeated names joined by commas, as payload 2.0 does."""
    joined: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _body(body: bytes | str) -> dict[str, Any]:
    """Text as is; bytes that are not UTF-8 in base64, as API Gateway passes binary bodies."""
    if isinstance(body, str):
        return {"body": body}
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
