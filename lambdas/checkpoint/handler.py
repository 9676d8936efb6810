"""The scheduled checkpoint maker: signs every audit chain's head into the public feed.

Runs daily on AWS (EventBridge; the rate is in lambdas/registry.py) and every few minutes in
devstack; `flask --app app.wsgi audit checkpoint` makes one on demand. See
app/services/auditing/checkpoints.py for what a checkpoint holds and how it is checked.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from app.services.auditing import checkpoints
from lambdas.common import begin, make_logger, settings

logger = make_logger("checkpoint")


def run_once() -> dict[str, Any]:
    made = checkpoints.make(settings())
    return {"seq": made.seq, "chains": len(made.chains), "root": made.statement["root"]}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    begin(logger, context.aws_request_id)  # what this run sends carries its id
    done = run_once()
    logger.info("checkpoint signed", extra=done)
    return done
