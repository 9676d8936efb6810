"""cdk-nag acknowledgements, kept next to the resource they concern.

cdk-nag 3 runs as a CDK policy-validation plugin: a finding fails the synth unless the
construct carries an acknowledgement with a reason. The reasons end up in the template's
Metadata (cdk_nag.rules_to_suppress), where a reviewer and tests/infra can read them.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

MIN_REASON = 60  # characters: "needed" is not a reason a security reviewer accepts


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one cdk-nag finding on this construct (and its children), saying why."""
    if len(reason.strip()) < MIN_REASON:
        raise ValueError(f"the acknowledgement of {rule} needs a real reason, got {reason!r}")
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
