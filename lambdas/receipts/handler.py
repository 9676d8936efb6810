"""The scheduled receipts sender: owners who opted in hear of every police access.

Every minute on AWS (every 10 s in devstack): new police accesses in the audit chains become a
push to the owner concerned; once a day, the digest emails. See app/services/auditing/receipts.py.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from app.services.auditing import receipts
from lambdas.common import begin, make_logger, settings

logger = make_logger("receipts")


def run_once() -> receipts.Pass:
    return receipts.run_once(settings())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    begin(logger, context.aws_request_id)  # what this run sends carries its id
    done = run_once()
    if done.pushed or done.digests:
        logger.info("receipts sent", extra=asdict(done))
    return asdict(done)
