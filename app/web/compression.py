"""gzip for every text answer big enough to gain from it, when the client accepts gzip.

Pages, JSON, stylesheets, scripts and SVG shrink to a third or less; video, images and archives
are compressed already and are left alone, as are answers streamed from a file.

Only gzip: it is in the standard library. Brotli would need a native extension of 5 MB (1.4 MB
zipped, in the web zip and, through requirements.txt, in every zip worker) to save about 15 %
more on files that browsers now download once per deploy (app.css: 3,022 bytes gzipped, 2,559
with brotli at its best).

On AWS this runs in the Lambda function: Zappa (`binary_support`) sends a body with a
Content-Encoding base64-encoded, and API Gateway decodes it (tests/deploy/test_web_zip.py).
"""

from __future__ import annotations

import gzip

from flask import Flask, request
from werkzeug.wrappers import Response

MIN_BYTES = 1024  # below about a packet, compressing saves no round trip
TEXT_TYPES = frozenset({"application/javascript", "application/json", "application/xml",
                        "image/svg+xml"})


def compressible(mimetype: str) -> bool:
    return mimetype.startswith("text/") or mimetype in TEXT_TYPES or mimetype.endswith("+json")


def compress(response: Response) -> Response:
    if (response.direct_passthrough or response.is_streamed
            or response.status_code in (204, 206, 304) or "Content-Encoding" in response.headers
            or not compressible(response.mimetype or "")):
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] > 0:
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress)
