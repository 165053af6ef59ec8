"""Sending a stored file to the operator's browser, the same way whichever backend keeps it."""

from __future__ import annotations

import io

from flask import abort, request, send_file
from werkzeug.wrappers import Response

from backoffice.documents.storage import Storage


def send_stored(storage: Storage, path: str, *, mimetype: str, as_attachment: bool, download_name: str) -> Response:
    """The stored file as the response body, read a piece at a time while it is sent.

    A 25 MB scan is never held in memory, and from the database backend no transaction stays open while a slow
    client downloads. Stored files are seekable, so a range request (the browser's PDF viewer asks for parts)
    is answered with just that part. The ETag is the path: a stored file is named by its bytes and never changes.
    """
    try:
        fh = storage.open(path)
    except FileNotFoundError:
        abort(404)
    size = fh.seek(0, io.SEEK_END)
    fh.seek(0)
    response = send_file(
        fh, mimetype=mimetype, as_attachment=as_attachment, download_name=download_name, conditional=False, etag=False
    )
    response.content_length = size
    response.set_etag(path.rsplit("/", 1)[-1])
    return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
