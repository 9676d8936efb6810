"""What protects the web app's front door. Zappa owns the REST API and its stage (its own
CloudFormation stack, "<project_name>-<stage>"); this stack makes what they use, and
infra/api_stage.py attaches it to the stage after `zappa deploy`:

- the API's access log: a KMS-encrypted log group with retention (it holds callers' IP
  addresses), in the JSON format infra/api_stage.py sets, which never has the query string or
  the request path (both may carry one-time tokens);
- API Gateway's CloudWatch role, the account-level setting API Gateway needs before it writes
  any log: it may write this stage's access log group and nothing else;
- an AWS WAF web ACL (REGIONAL, for an API Gateway stage): a per-IP rate limit on the log-in,
  sign-up and password-reset posts, and AWS's common rule set.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.cdk.porchlight.keys import removal, retention_days
from infra.cdk.stages import Stage


@dataclass(frozen=True)
class AuthPath:
    """A path of the app where passwords, authenticator codes or one-time tokens are tried."""

    path: str
    match: str  # WAF's positional constraint on the URI path: ENDS_WITH or CONTAINS
    endpoint: str  # the Flask endpoint it reaches (tests/infra/test_edge.py checks it)


# The app's log-in, sign-up and password-reset routes, HTML forms and JSON API alike
# (app/auth/routes.py, app/orgs/routes.py, app/api/routes.py). ENDS_WITH and CONTAINS rather
# than EXACTLY: through the execute-api address the path starts with the stage
# ("/prod/login"), through a custom domain it does not ("/login").
AUTH_PATHS = (
    AuthPath("/login", "ENDS_WITH", "auth.login"),
    AuthPath("/mfa/verify", "ENDS_WITH", "auth.mfa_verify"),  # the log-in's second step
    AuthPath("/signup", "ENDS_WITH", "auth.signup"),
    AuthPath("/signup/finish/", "CONTAINS", "auth.finish_signup"),  # /signup/finish/<token>
    AuthPath("/password/forgot", "ENDS_WITH", "auth.forgot"),
    AuthPath("/password/reset/", "CONTAINS", "auth.reset"),  # /password/reset/<token>
    AuthPath("/invite/", "CONTAINS", "auth.accept_invite"),  # /invite/<token>: sets a password
    AuthPath("/org/join/", "CONTAINS", "orgs.join"),  # /org/join/<token>: sets a password
    AuthPath("/api/session", "ENDS_WITH", "api.login"),
    AuthPath("/api/session/mfa", "ENDS_WITH", "api.mfa"),
    AuthPath("/api/accounts", "ENDS_WITH", "api.create_account"),  # sign-up
    AuthPath("/api/accounts/confirm", "ENDS_WITH", "api.confirm_account"),  # its emailed token
)
# Posts to those paths per client IP address in AUTH_WINDOW_SECONDS before WAF answers 429.
# A log-in is one or two posts (password, then the authenticator code); 100 in five minutes
# lets a police station or an office behind one NAT address log 50 people in at a shift
# change, and stops a password-guessing script at 20 tries a minute. Behind it the app keeps
# its own, finer limits (failures per account, log-ins per address: app/config.py).
AUTH_RATE_LIMIT = 100
AUTH_WINDOW_SECONDS = 300
# AWS's common rule set. Its SizeRestrictions_BODY rule blocks any body over 8 KB, and the app
# accepts larger ones on purpose: JSON up to 64 KiB (app/web/jsonio.py), 256 KiB on
# /api/ingest/<feed> (CAD/AVL feeds), and organisations' CSV and GeoJSON camera imports up to
# the app's 1 MiB limit (MAX_CONTENT_LENGTH). That one rule only counts (its matches still show
# in the metrics and sampled requests); the app enforces its own limits, and API Gateway's is
# 10 MB. Every other rule of the set blocks.
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
COUNT_ONLY = ("SizeRestrictions_BODY",)


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True)


def _path_match(auth: AuthPath) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint=auth.match,
            search_string=auth.path,
            # "/log%69n" reaches Flask as /login: match what the app will route.
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(
                priority=0, type="URL_DECODE")]))


def _is_post() -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
            positional_constraint="EXACTLY", search_string="POST",
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(
                priority=0, type="NONE")]))


class Gateway(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage,
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.access_log_name = f"/aws/apigateway/{stage.prefix}access"
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", log_group_name=self.access_log_name,
            encryption_key=key,
            retention=retention_days(stage.access_log_days, "access_log_days"),
            removal_policy=removal(stage))
        # The stage's access-log destination, in the form API Gateway documents: the group's
        # ARN without the ":*" its Arn attribute ends with.
        self.access_log_arn = stack.format_arn(
            service="logs", resource="log-group", resource_name=self.access_log_name,
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        self._cloudwatch_role(stage)
        self.web_acl = self._web_acl(stage)

    def _cloudwatch_role(self, stage: Stage) -> None:
        """API Gateway writes no log (access or execution) until the account's CloudWatch role
        is set: one role per account and region, shared by every REST API there. This one may
        write this stage's access log group only (an inline policy, not AWS's managed
        AmazonAPIGatewayPushToCloudWatchLogs, which may create and write any log group), so
        API Gateway's execution logs, which Zappa's stage keeps off, could not be written."""
        self.cloudwatch_role = iam.Role(
            self, "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description=f"Porchlight {stage.name}: API Gateway writes the access log of the "
                        f"{stage.web_function_name} REST API",
            inline_policies={"WriteTheAccessLog": iam.PolicyDocument(statements=[
                iam.PolicyStatement(
                    sid="WriteTheAccessLogGroupOnly",
                    actions=["logs:CreateLogStream", "logs:DescribeLogStreams",
                             "logs:PutLogEvents"],
                    resources=[self.access_logs.log_group_arn]),
            ])})
        account = apigateway.CfnAccount(self, "Account",
                                        cloud_watch_role_arn=self.cloudwatch_role.role_arn)
        account.node.add_dependency(self.cloudwatch_role)

    def _web_acl(self, stage: Stage) -> wafv2.CfnWebACL:
        metric = stage.prefix.replace("-", "")  # metric names: letters and digits
        rate_limit = wafv2.CfnWebACL.RuleProperty(
            name="auth-rate-limit",
            priority=0,
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=AUTH_RATE_LIMIT,
                    evaluation_window_sec=AUTH_WINDOW_SECONDS,
                    scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[
                            _is_post(),
                            wafv2.CfnWebACL.StatementProperty(
                                or_statement=wafv2.CfnWebACL.OrStatementProperty(
                                    statements=[_path_match(p) for p in AUTH_PATHS])),
                        ])))),
            action=wafv2.CfnWebACL.RuleActionProperty(
                block=wafv2.CfnWebACL.BlockActionProperty(
                    custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                        response_code=429))),
            visibility_config=_visibility(f"{metric}AuthRateLimit"))
        common = wafv2.CfnWebACL.RuleProperty(
            name=COMMON_RULE_SET,
            priority=1,
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=COMMON_RULE_SET,
                    rule_action_overrides=[
                        wafv2.CfnWebACL.RuleActionOverrideProperty(
                            name=rule,
                            action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}))
                        for rule in COUNT_ONLY])),
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            visibility_config=_visibility(f"{metric}CommonRuleSet"))
        return wafv2.CfnWebACL(
            self, "WebAcl",
            name=f"{stage.prefix}web",
            # WAF allows letters, digits, spaces and = : # @ / - , . in a description.
            description=f"Porchlight {stage.name}: in front of the {stage.web_function_name} "
                        "REST API stage",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=[rate_limit, common],
            visibility_config=_visibility(f"{metric}WebAcl"))
