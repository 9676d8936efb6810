"""Notes a bridge's status message: connected or not (app/services/cameras/bridges.py
handle_status).

On AWS an IoT rule invokes it for every message on `porchlight/<stage>/bridge/+/status`, each
bridge's own messages and the last will AWS IoT Core publishes when a connection drops:
`SELECT state, since, at, topic(4) AS device_id FROM 'porchlight/<stage>/bridge/+/status'`
(named fields only, so a payload cannot carry a device_id of its own). The device id comes from
the topic, which a bridge's policy lets it publish to only for itself. Devstack's status rule
(devstack/status_rule.py) calls it the same way. It has no queue: lambdas/registry.py lists it
under IOT, and the stack's device channel (infra/cdk/porchlight/devices.py) wires the rule to it.
Junk and unknown or revoked devices are ignored, never retried.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from app.services.cameras import bridges
from lambdas.common import make_logger, settings

logger = make_logger("bridge-status")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, bool]:
    settings()
    if not isinstance(event, dict):
        return {"noted": False}
    device_id = str(event.get("device_id") or "")[:64]
    noted = bridges.handle_status(device_id, event)
    logger.info("bridge status", extra={"device": device_id, "state": str(event.get("state"))[:10],
                                        "noted": noted})
    return {"noted": noted}
