"""The web app in its own process, talking to AWS through the fault proxy
(AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_DYNAMODB).

    python -m tests.faults.app_run

The models' endpoint is process-wide (app.models.base.configure_models), so an app whose
DynamoDB calls go through the proxy cannot share a process with the session's app. Prints the
URL it serves on, then serves until killed.
"""

from __future__ import annotations

import logging
import sys

from werkzeug.serving import make_server

from app import create_app


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    sys.stdout.write(f"http://127.0.0.1:{server.server_port}\n")
    sys.stdout.flush()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
