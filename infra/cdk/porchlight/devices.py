"""The device channel on AWS IoT Core (docs/device-channel.md): where bridges connect, who may,
and where their status messages go.

- **The authorizer** (`AWS::IoT::Authorizer`): the `iot-authorizer` worker checks a bridge's
  credential at every MQTT connect and answers the policy of its own two topics. Signing is off:
  the token is the MQTT password (the bridge's credential), which IoT Core cannot verify by a
  signature; the function is the check. HTTP caching is off (bridges only speak MQTT).
- **The endpoint** (`AWS::IoT::DomainConfiguration` on an AWS-managed domain, DATA service):
  its default authorizer is that one, with no override, so a bridge connects with nothing but
  client id = user name = device id and password = credential (MQTT over TLS on 443, ALPN
  "mqtt"). The account's own `iot:Data-ATS` endpoint cannot be given a default authorizer from
  CloudFormation (its domain configuration is AWS's, named `iot:Data-ATS`), and a device
  reaching it would have to name the authorizer in its user name; a configuration of our own
  also leaves the account's endpoint as it was for anything else in the account. Its
  authentication type and protocol stay at their default, which takes custom authentication
  for MQTT on 443 and SigV4 for HTTPS: the web app publishes commands to the same host
  (app/services/realtime/channel.py `_publish_iot`). TLS 1.2 at least, as everywhere else.
  Its host name is AWS's to choose and no CloudFormation attribute gives it (a custom-resource
  Lambda could; the stack has none, infra/cdk/README.md): the stack outputs the configuration's
  name and DEPLOY.md reads the host with `aws iot describe-domain-configuration`.
- **The status rule** (`AWS::IoT::TopicRule`): every message on any bridge's `status` topic,
  its last will included, goes to the `bridge-status` worker as the device's named fields and
  the device id from the topic (`topic(4)`), never an id from the payload.
- IoT Core may invoke each of the two functions only as that authorizer or that rule (Lambda
  permissions scoped to their ARNs and this account).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_iot as iot
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.cdk.stages import Stage

IOT = iam.ServicePrincipal("iot.amazonaws.com")
TLS_POLICY = "IoTSecurityPolicy_TLS13_1_2_2022_10"  # TLS 1.3 and 1.2, nothing older
SQL_VERSION = "2016-03-23"


def topics(stage: Stage, device: str, kind: str) -> str:
    """`porchlight/<stage>/bridge/<device>/<kind>`, as app.services.realtime.channel.topic names
    them (PORCHLIGHT_ENV is the stage's name); device may be an MQTT (+) or IAM (*) wildcard."""
    return f"porchlight/{stage.name}/bridge/{device}/{kind}"


def status_sql(stage: Stage) -> str:
    """Named fields only, and the device id from the topic, which a bridge's policy lets it
    publish to only for itself: a payload cannot speak for another device."""
    return (f"SELECT state, since, at, topic(4) AS device_id "
            f"FROM '{topics(stage, '+', 'status')}'")


def endpoint_name(stage: Stage) -> str:
    """The authorizer's and the domain configuration's name."""
    return f"{stage.prefix}bridges"


class DeviceChannel(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage,
                 authorizer: lambda_.IFunction, status: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        account = cdk.Aws.ACCOUNT_ID
        self.authorizer = iot.CfnAuthorizer(
            self, "Authorizer", authorizer_name=endpoint_name(stage),
            authorizer_function_arn=authorizer.function_arn, status="ACTIVE",
            signing_disabled=True, enable_caching_for_http=False)
        authorizer.add_permission("InvokedByTheIotAuthorizer", principal=IOT,
                                  action="lambda:InvokeFunction",
                                  source_arn=self.authorizer.attr_arn, source_account=account)
        self.domain = iot.CfnDomainConfiguration(
            self, "Endpoint", domain_configuration_name=endpoint_name(stage),
            service_type="DATA", domain_configuration_status="ENABLED",
            authorizer_config=iot.CfnDomainConfiguration.AuthorizerConfigProperty(
                default_authorizer_name=endpoint_name(stage), allow_authorizer_override=False),
            tls_config=iot.CfnDomainConfiguration.TlsConfigProperty(security_policy=TLS_POLICY))
        self.domain.node.add_dependency(self.authorizer)
        self.domain_name = endpoint_name(stage)
        self.rule = iot.CfnTopicRule(
            self, "StatusRule", rule_name=f"{stage.prefix.replace('-', '_')}bridge_status",
            topic_rule_payload=iot.CfnTopicRule.TopicRulePayloadProperty(
                sql=status_sql(stage), aws_iot_sql_version=SQL_VERSION, rule_disabled=False,
                description=f"Porchlight {stage.name}: bridges' status and last wills",
                actions=[iot.CfnTopicRule.ActionProperty(
                    lambda_=iot.CfnTopicRule.LambdaActionProperty(
                        function_arn=status.function_arn))]))
        status.add_permission("InvokedByTheStatusRule", principal=IOT,
                              action="lambda:InvokeFunction", source_arn=self.rule.attr_arn,
                              source_account=account)
