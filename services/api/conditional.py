"""Conditional reads (RFC 9110, section 13): every 200 a read endpoint answers carries a strong
`ETag`, a digest of the body it sends, and a request whose `If-None-Match` names that tag (or
`*`) is answered 304 with no body.

The API sends `Cache-Control: no-store` (services/api/app.py), so no browser or proxy cache
keeps a body to revalidate: a client that polls (the console at /ui/) keeps the last body and
its tag itself and sends `If-None-Match`. A 304 costs the same reads of the table as a 200 (the
tag is the body's); what it saves is the body on the wire and the client's work on it. Deployed
behind API Gateway, which cannot hold a stream open, this is how a page follows a list.
"""

import hashlib

from flask import Response
from werkzeug.datastructures import ETags

NOT_MODIFIED = 304


def etag_of(body: bytes) -> str:
    """A strong entity tag: the first 128 bits of the body's SHA-256, quoted."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def conditional(response: Response, if_none_match: ETags) -> Response:
    """`response` tagged; a 304 in its place if the client already holds this body."""
    if response.status_code != 200:
        return response
    tag = etag_of(response.get_data())
    # If-None-Match compares weakly: W/"x" and "x" name the same body here.
    if if_none_match.contains_weak(tag.strip('"')):
        return Response(status=NOT_MODIFIED, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return response
