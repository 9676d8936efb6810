"""The stack's security properties (SECURITY.md, "The cloud stack"), asserted on the
synthesized template."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.models.tables import aws_table_definitions
from lambdas.registry import IOT, QUEUES, SCHEDULES
from tests.infra.cfn import (
    OUTPUTS,
    Statement,
    as_list,
    find_one,
    identity_statements,
    logical_id,
    role_statements,
    text,
)
from tests.infra.conftest import Synthesized

MODELS = {spec["base_name"]: spec for spec in aws_table_definitions()}


def _key(s: Synthesized) -> str:
    """The project key (the other KMS key only signs audit checkpoints)."""
    (name,) = [n for n, r in s.of_type("AWS::KMS::Key").items()
               if r["Properties"].get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"]
    return name


def test_the_checkpoint_key_only_signs_and_only_the_checkpoint_worker_signs(
        synth: Synthesized) -> None:
    (name,) = [n for n, r in synth.of_type("AWS::KMS::Key").items()
               if r["Properties"].get("KeySpec") == "ECC_NIST_P256"]
    assert synth.resources[name]["Properties"]["KeyUsage"] == "SIGN_VERIFY"
    signers = set()
    for role, st in identity_statements(synth.resources):
        if st.sid == "ReadTheCheckpointPublicKey":
            assert st.actions == ["kms:GetPublicKey"], st.actions
        if "kms:Sign" in st.actions:
            assert st.resources == [f"<{name}.Arn>"], st.resources
            signers.add(role)
    assert len(signers) == 1 and "checkpoint" in next(iter(signers)).lower(), signers


def _uses_key(s: Synthesized, value: Any) -> bool:
    return logical_id(value) == _key(s)


def _tables(s: Synthesized) -> dict[str, str]:
    """Logical id → base name."""
    prefix = s.stage.prefix
    return {name: r["Properties"]["TableName"].removeprefix(prefix)
            for name, r in s.of_type("AWS::DynamoDB::Table").items()}


def _bucket(s: Synthesized, what: str) -> str:
    return find_one(s.resources, "AWS::S3::Bucket",
                    BucketName=f"{s.stage.prefix}{what}-${{AWS::AccountId}}-${{AWS::Region}}")


def _queues(s: Synthesized) -> dict[str, str]:
    """Logical id → queue base name (DLQs end in -dlq)."""
    return {name: text(r["Properties"]["QueueName"]).removeprefix(s.stage.prefix)
            for name, r in s.of_type("AWS::SQS::Queue").items()}


def _policy_statements(s: Synthesized, kind: str, target_prop: str, target: str
                       ) -> list[dict[str, Any]]:
    out = []
    for r in s.of_type(kind).values():
        props = r["Properties"]
        if any(logical_id(t) == target for t in as_list(props[target_prop])):
            out += as_list(props["PolicyDocument"]["Statement"])
    return out


def _denies_plain_http(statements: list[dict[str, Any]]) -> bool:
    return any(st["Effect"] == "Deny" and st.get("Condition", {}).get("Bool", {}).get(
        "aws:SecureTransport") == "false" for st in statements)


# ------------------------------------------------------------------ encryption with the key


def test_every_table_is_encrypted_with_the_project_key(synth: Synthesized) -> None:
    for name, r in synth.of_type("AWS::DynamoDB::Table").items():
        sse = r["Properties"].get("SSESpecification", {})
        assert sse.get("SSEEnabled") is True and sse.get("SSEType") == "KMS" and \
            _uses_key(synth, sse.get("KMSMasterKeyId")), \
            f"table {name} is not encrypted with the project's KMS key"


def test_every_data_bucket_is_encrypted_with_the_project_key(synth: Synthesized) -> None:
    logs = _bucket(synth, "access-logs")
    for name, r in synth.of_type("AWS::S3::Bucket").items():
        (rule,) = r["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        default = rule["ServerSideEncryptionByDefault"]
        if name == logs:
            # S3 delivers server access logs only to SSE-S3 buckets; they hold no user data.
            assert default == {"SSEAlgorithm": "AES256"}, "the access-log bucket changed"
            continue
        assert default["SSEAlgorithm"] == "aws:kms" and \
            _uses_key(synth, default.get("KMSMasterKeyID")), \
            f"bucket {name} is not encrypted with the project's KMS key"
        assert rule.get("BucketKeyEnabled") is True, f"bucket {name} has no S3 bucket key"


def test_every_queue_is_encrypted_with_the_project_key(synth: Synthesized) -> None:
    for name, r in synth.of_type("AWS::SQS::Queue").items():
        assert _uses_key(synth, r["Properties"].get("KmsMasterKeyId")), \
            f"queue {name} is not encrypted with the project's KMS key"


def test_topic_secret_and_logs_are_encrypted_with_the_project_key(synth: Synthesized) -> None:
    for kind, prop in (("AWS::SNS::Topic", "KmsMasterKeyId"),
                       ("AWS::SecretsManager::Secret", "KmsKeyId"),
                       ("AWS::Logs::LogGroup", "KmsKeyId")):
        for name, r in synth.of_type(kind).items():
            assert _uses_key(synth, r["Properties"].get(prop)), \
                f"{kind} {name} is not encrypted with the project's KMS key"


def test_the_key_rotates(synth: Synthesized) -> None:
    key = synth.resources[_key(synth)]["Properties"]
    assert key["EnableKeyRotation"] is True, "the project key does not rotate yearly"


def test_the_key_policy_pins_every_service_to_this_stack(synth: Synthesized) -> None:
    statements = synth.resources[_key(synth)]["Properties"]["KeyPolicy"]["Statement"]
    root = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
    for st in statements:
        principal = st["Principal"]
        if "AWS" in principal:
            assert text(principal["AWS"]) == root, \
                f"the key policy names a principal other than this account: {principal}"
            continue
        service = text(principal["Service"])
        conditions = st.get("Condition", {})
        assert conditions, f"the key policy lets {service} use the key with no condition"
        if service.startswith("logs."):
            name = synth.stage.prefix.rstrip("-")
            patterns = {text(p).rsplit(":log-group:", 1)[-1] for p in as_list(
                conditions["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])}
            assert patterns == {f"/aws/lambda/{name}*", f"/aws/apigateway/{name}*"}, \
                f"CloudWatch Logs may use the key for the log groups {patterns}"
        else:
            assert text(conditions["StringEquals"]["aws:SourceAccount"]) == "${AWS::AccountId}", \
                f"{service} may use the key on behalf of other accounts"
            assert synth.stage.prefix in text(conditions["ArnLike"]["aws:SourceArn"]), \
                f"{service} may use the key for resources outside this stage"


# ------------------------------------------------------------------ tables


def test_point_in_time_recovery_on_every_table(synth: Synthesized) -> None:
    for name, r in synth.of_type("AWS::DynamoDB::Table").items():
        pitr = r["Properties"].get("PointInTimeRecoverySpecification", {})
        assert pitr.get("PointInTimeRecoveryEnabled") is True, f"table {name} has no PITR"


def test_tables_are_on_demand(synth: Synthesized) -> None:
    for name, r in synth.of_type("AWS::DynamoDB::Table").items():
        assert r["Properties"]["BillingMode"] == "PAY_PER_REQUEST", f"{name} is not on-demand"


def test_prod_protects_its_data_and_dev_may_be_destroyed(prod: Synthesized,
                                                         dev: Synthesized) -> None:
    for synth, protect in ((prod, True), (dev, False)):
        for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key",
                     "AWS::SecretsManager::Secret"):
            for name, r in synth.of_type(kind).items():
                assert r.get("DeletionPolicy") == ("Retain" if protect else "Delete"), \
                    f"{synth.stage.name}: {name} has DeletionPolicy {r.get('DeletionPolicy')}"
        for name, r in synth.of_type("AWS::DynamoDB::Table").items():
            assert r["Properties"].get("DeletionProtectionEnabled", False) is protect, \
                f"{synth.stage.name}: deletion protection of {name} should be {protect}"


# ------------------------------------------------------------------ buckets


def test_public_access_is_blocked_on_every_bucket(synth: Synthesized) -> None:
    for name, r in synth.of_type("AWS::S3::Bucket").items():
        block = r["Properties"].get("PublicAccessBlockConfiguration", {})
        assert block == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                         "IgnorePublicAcls": True, "RestrictPublicBuckets": True}, \
            f"bucket {name} does not block every kind of public access"
        assert r["Properties"]["OwnershipControls"]["Rules"] == [
            {"ObjectOwnership": "BucketOwnerEnforced"}], f"bucket {name} still honours ACLs"


def test_tls_is_enforced_on_every_bucket(synth: Synthesized) -> None:
    for name in synth.of_type("AWS::S3::Bucket"):
        statements = _policy_statements(synth, "AWS::S3::BucketPolicy", "Bucket", name)
        assert _denies_plain_http(statements), f"bucket {name} accepts requests without TLS"
        assert any(st["Effect"] == "Deny" and "s3:TlsVersion" in str(st.get("Condition"))
                   for st in statements), f"bucket {name} accepts TLS older than 1.2"


def test_data_buckets_are_versioned_and_log_their_access(synth: Synthesized) -> None:
    logs = _bucket(synth, "access-logs")
    for what in ("uploads", "clips"):
        props = synth.resources[_bucket(synth, what)]["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, f"{what}: no versioning"
        assert logical_id(props["LoggingConfiguration"]["DestinationBucketName"]) == logs, \
            f"{what}: server access logs do not go to the access-log bucket"


def _rules(synth: Synthesized, what: str) -> list[dict[str, Any]]:
    props = synth.resources[_bucket(synth, what)]["Properties"]
    return list(props["LifecycleConfiguration"]["Rules"])


@pytest.mark.parametrize("what,prefix", [("uploads", "originals/"), ("clips", "evidence/")])
def test_deletion_is_real(synth: Synthesized, what: str, prefix: str) -> None:
    rules = _rules(synth, what)
    assert any(r.get("NoncurrentVersionExpiration") == {"NoncurrentDays": 1} and "Prefix" not in r
               for r in rules), f"{what}: deleted or replaced objects linger beyond a day"
    assert any(r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 7}
               for r in rules), f"{what}: abandoned multipart uploads are never cleaned up"
    assert any(r.get("Prefix") == prefix and r.get("ExpirationInDays") == 3650 for r in rules), \
        f"{what}: no backstop expiring {prefix} after the longest retention (3650 days)"


def test_cors_allows_only_the_apps_origin(synth: Synthesized) -> None:
    origin = synth.stage.public_url.rstrip("/")
    expected = {"uploads": {"GET", "PUT", "POST"}, "clips": {"GET"}}
    for what, methods in expected.items():
        props = synth.resources[_bucket(synth, what)]["Properties"]
        (rule,) = props["CorsConfiguration"]["CorsRules"]
        assert rule["AllowedOrigins"] == [origin], f"{what}: CORS allows {rule['AllowedOrigins']}"
        assert set(rule["AllowedMethods"]) == methods, \
            f"{what}: CORS methods {rule['AllowedMethods']}"
    uploads = synth.resources[_bucket(synth, "uploads")]["Properties"]
    assert uploads["CorsConfiguration"]["CorsRules"][0]["ExposedHeaders"] == ["ETag"], \
        "phones cannot read the ETag of the parts they upload (needed to complete the upload)"
    assert "CorsConfiguration" not in synth.resources[_bucket(synth, "access-logs")]["Properties"]


def test_finished_uploads_are_announced_to_the_clip_queue(synth: Synthesized) -> None:
    uploads = synth.resources[_bucket(synth, "uploads")]
    clips_queue = {v: k for k, v in _queues(synth).items()}["clips"]
    configs = uploads["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert {c["Event"] for c in configs} == {"s3:ObjectCreated:CompleteMultipartUpload",
                                            "s3:ObjectCreated:Put"}
    for c in configs:
        assert logical_id(c["Queue"]) == clips_queue, "upload events go to another queue"
        assert c["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "originals/"}]
    allowed = [st for st in _policy_statements(synth, "AWS::SQS::QueuePolicy", "Queues",
                                               clips_queue) if st["Effect"] == "Allow"]
    assert [text(st["Principal"]["Service"]) for st in allowed] == ["s3.amazonaws.com"]
    assert "uploads" in text(allowed[0]["Condition"]["ArnLike"]["aws:SourceArn"]), \
        "S3 may send to the clip queue from buckets other than the uploads bucket"
    policy = next(iter(d for d in as_list(uploads.get("DependsOn", []))
                       if synth.resources[d]["Type"] == "AWS::SQS::QueuePolicy"), None)
    assert policy is not None, "the bucket must wait for the queue policy (S3 checks it)"


# ------------------------------------------------------------------ queues


def test_every_queue_has_a_dead_letter_queue(synth: Synthesized) -> None:
    queues = _queues(synth)
    by_base = {v: k for k, v in queues.items()}
    for spec in QUEUES:
        props = synth.resources[by_base[spec.base_name]]["Properties"]
        redrive = props.get("RedrivePolicy")
        assert redrive, f"queue {spec.base_name} has no dead-letter queue"
        assert logical_id(redrive["deadLetterTargetArn"]) == by_base[f"{spec.base_name}-dlq"]
        assert redrive["maxReceiveCount"] == spec.max_receive_count
        assert props["VisibilityTimeout"] == 6 * spec.timeout_seconds, \
            f"{spec.base_name}: visibility should be six times the worker's timeout"
    dead_letter = {logical_id(r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
                   for r in synth.of_type("AWS::SQS::Queue").values()
                   if "RedrivePolicy" in r["Properties"]}
    for name, base in queues.items():
        assert name in dead_letter or "RedrivePolicy" in synth.resources[name]["Properties"], \
            f"queue {base} is neither a dead-letter queue nor redrives to one"


def test_tls_is_enforced_on_every_queue_and_the_topic(synth: Synthesized) -> None:
    for name in synth.of_type("AWS::SQS::Queue"):
        statements = _policy_statements(synth, "AWS::SQS::QueuePolicy", "Queues", name)
        assert _denies_plain_http(statements), f"queue {name} accepts requests without TLS"
    for name in synth.of_type("AWS::SNS::Topic"):
        statements = _policy_statements(synth, "AWS::SNS::TopicPolicy", "Topics", name)
        assert _denies_plain_http(statements), f"topic {name} accepts requests without TLS"


# ------------------------------------------------------------------ IAM


def _is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def test_no_statement_grants_every_action_or_every_resource(synth: Synthesized) -> None:
    for role, st in identity_statements(synth.resources):
        wild = [a for a in st.actions if _is_wildcard_action(a)]
        assert not wild, f"{role} ({st.sid or st.owner}) is granted {wild}"
        assert "*" not in st.resources, \
            f"{role} ({st.sid or st.owner}) may {st.actions} on every resource"


def _commands(synth: Synthesized) -> str:
    """The stage's bridges' command topics, the one IoT resource anybody is granted."""
    return ("arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:"
            f"topic/porchlight/{synth.stage.name}/bridge/*/cmd")


def test_wildcards_only_for_object_prefixes(synth: Synthesized) -> None:
    """A * inside a resource is allowed only as <bucket>/<prefix>/* (object keys are made at
    run time), and as the device id of the web role's bridge command topics (made at pairing);
    nothing else: no table/index/*, no whole bucket, no other account."""
    allowed = re.compile(r"<Buckets(Uploads|Clips)[0-9A-F]{8}\.Arn>/"
                         r"(originals|camera-photos|evidence|live|map)/\*")
    for role, st in identity_statements(synth.resources):
        for resource in st.resources:
            if resource == _commands(synth):
                assert role == _web_role(synth) and st.actions == ["iot:Publish"], role
                continue
            if "*" in resource:
                assert allowed.fullmatch(resource), \
                    f"{role} ({st.sid or st.owner}) has a wildcard resource {resource}"


def test_no_aws_managed_policies(synth: Synthesized) -> None:
    for name, r in synth.of_type("AWS::IAM::Role").items():
        assert not r["Properties"].get("ManagedPolicyArns"), \
            f"role {name} has AWS managed policies; write its permissions out instead"


def test_the_key_is_used_only_through_services(synth: Synthesized) -> None:
    key = f"<{_key(synth)}.Arn>"
    for role, st in identity_statements(synth.resources):
        kms = [a for a in st.actions if a.startswith("kms:")]
        if not kms or st.sid in ("SignAuditCheckpoints", "ReadTheCheckpointPublicKey"):
            continue  # the checkpoint key: its own test above
        assert st.resources == [key], f"{role}: KMS actions on {st.resources}"
        assert set(kms) <= {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, \
            f"{role} may {kms} on the project key"
        via = st.condition.get("StringEquals", {}).get("kms:ViaService")
        # CDK's SQS event source adds a bare kms:Decrypt so Lambda can read the worker's
        # encrypted queue; everything we write goes through named services.
        assert via or kms == ["kms:Decrypt"], \
            f"{role} ({st.sid}) may use the key directly, not only through AWS services"


def test_nobody_can_rewrite_or_delete_the_audit_log(synth: Synthesized) -> None:
    audit = {n for n, base in _tables(synth).items() if base in ("audit-events", "audit-heads")}
    forbidden = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    for role, st in identity_statements(synth.resources):
        on_audit = [r for r in st.resources if any(f"<{t}.Arn>" == r for t in audit)]
        if st.sid == "EraseSealedAuditFieldsOnly":
            # The erasure worker: UpdateItem on the sealed fields only, never a hashed one.
            assert "erasure" in role.lower() and st.actions == ["dynamodb:UpdateItem"], role
            allowed = st.condition["ForAllValues:StringEquals"]["dynamodb:Attributes"]
            assert set(allowed) == {"chain", "seq", "ip", "details", "salt", "erased_at"}
            continue
        assert not (on_audit and forbidden & set(st.actions)), \
            f"{role} may {sorted(forbidden & set(st.actions))} on the audit log {on_audit}"


def _web_role(synth: Synthesized) -> str:
    return find_one(synth.resources, "AWS::IAM::Role", RoleName=f"{synth.stage.prefix}web")


def _classify(synth: Synthesized, resource: str) -> str:
    """What a resource of the web role's policy is; "" when it is nothing the web app owns."""
    tables = _tables(synth)
    queues = _queues(synth)
    match = re.fullmatch(r"<(\w+)\.Arn>(?:/index/([\w-]+))?", resource)
    if match and match.group(1) in tables:
        base, index = tables[match.group(1)], match.group(2)
        if index is None:
            return f"table {base}"
        known = [g["IndexName"] for g in MODELS[base]["global_secondary_indexes"]]
        return f"index {base}/{index}" if index in known else ""
    if match and match.group(1) in queues and match.group(2) is None:
        return "" if queues[match.group(1)].endswith("-dlq") else f"queue {queues[match.group(1)]}"
    objects = {f"<{_bucket(synth, 'clips')}.Arn>": "clips bucket",  # versions under evidence/
               f"<{_bucket(synth, 'uploads')}.Arn>/originals/*": "uploads originals/*",
               f"<{_bucket(synth, 'uploads')}.Arn>/camera-photos/*": "uploads camera-photos/*",
               f"<{_bucket(synth, 'uploads')}.Arn>/live/*": "uploads live/*",
               f"<{_bucket(synth, 'uploads')}.Arn>/map/*": "uploads map/*",
               f"<{_bucket(synth, 'clips')}.Arn>/evidence/*": "clips evidence/*"}
    secret = next(iter(synth.of_type("AWS::SecretsManager::Secret")))
    web_logs = find_one(synth.resources, "AWS::Logs::LogGroup",
                        LogGroupName=f"/aws/lambda/{synth.stage.web_function_name}")
    checkpoint_key = next(n for n, r in synth.of_type("AWS::KMS::Key").items()
                          if r["Properties"].get("KeySpec") == "ECC_NIST_P256")
    (places,) = synth.of_type("AWS::Location::PlaceIndex")
    others = {f"<{secret}>": "the app secret", f"<{_key(synth)}.Arn>": "the project key",
              f"<{places}.Arn>": "the place index",
              f"<{checkpoint_key}.Arn>": "the checkpoint key's public half",
              f"<{web_logs}.Arn>": "its log group",
              _commands(synth): "bridge command topics",
              f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:"
              f"{synth.stage.web_function_name}": "its function"}
    return objects.get(resource) or others.get(resource, "")


def test_web_role_reaches_only_its_own_resources(synth: Synthesized) -> None:
    for st in role_statements(synth.resources, _web_role(synth)):
        for resource in st.resources:
            what = _classify(synth, resource)
            assert what, f"the web role may {st.actions} on {resource}, which is not its own"
            assert not what.startswith(("table idempotency", "table outbox")), \
                f"the web role may use {what}, which only the workers or devstack need"


def test_web_role_can_use_every_app_table_and_index(synth: Synthesized) -> None:
    reach: dict[str, set[str]] = {}
    for st in role_statements(synth.resources, _web_role(synth)):
        for resource in st.resources:
            reach.setdefault(_classify(synth, resource), set()).update(st.actions)
    write = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
             "dynamodb:DeleteItem"}
    for base, spec in MODELS.items():
        if base == "idempotency":
            continue
        actions = reach.get(f"table {base}", set())
        if base in ("audit-events", "audit-heads"):
            assert {"dynamodb:GetItem", "dynamodb:PutItem"} <= actions, f"web: append {base}"
            assert "dynamodb:DeleteItem" not in actions, f"web may delete from {base}"
        else:
            assert write <= actions, f"the web app cannot read and write {base}"
        for gsi in spec["global_secondary_indexes"]:
            assert "dynamodb:Query" in reach.get(f"index {base}/{gsi['IndexName']}", set()), \
                f"the web app cannot query {base}/{gsi['IndexName']}"
    for queue in QUEUES:
        assert "sqs:SendMessage" in reach.get(f"queue {queue.base_name}", set()), \
            f"the web app cannot enqueue work for the {queue.base_name} worker"
    assert {"s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"} <= \
        reach["uploads originals/*"]
    assert "s3:GetObject" not in reach["uploads originals/*"], \
        "the web app does not read originals; only the clip worker does"
    assert reach["clips evidence/*"] == {"s3:GetObject", "s3:GetObjectLegalHold",
                                         "s3:PutObjectLegalHold"}, \
        "the web app reads evidence and places, lifts and reads legal holds on it, nothing else"
    assert reach["uploads live/*"] == {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}, \
        "live pieces: signed PUTs for senders, HEAD/GET for the size check and police, delete"
    assert reach["clips bucket"] == {"s3:ListBucketVersions"}, \
        "lifting a hold lists the evidence file's versions; nothing else on the bucket itself"
    assert reach["the app secret"] == {"secretsmanager:GetSecretValue"}
    assert reach["its function"] == {"lambda:InvokeFunction"}
    assert reach["uploads map/*"] == {"s3:GetObject"}, \
        "the program's map and street list: read by byte ranges, never written by the app"
    assert reach["the place index"] == {"geo:SearchPlaceIndexForText"}, \
        "address search: text searches of the stack's place index, nothing else"
    assert reach["bridge command topics"] == {"iot:Publish"}, \
        "the device channel: the app wakes bridges on their command topics, nothing else"


def test_the_place_index_is_for_single_use_and_only_the_web_app_searches_it(
        synth: Synthesized) -> None:
    """Results are shown to a detective and never stored (what single use allows); no worker
    and no other action of Amazon Location is granted."""
    (index,) = synth.of_type("AWS::Location::PlaceIndex").values()
    props = index["Properties"]
    assert props["IndexName"] == f"{synth.stage.prefix}places"
    assert props["DataSourceConfiguration"] == {"IntendedUse": "SingleUse"}
    geo = [(role, st.actions) for role, st in identity_statements(synth.resources)
           if any(a.startswith("geo:") for a in st.actions)]
    assert geo == [(_web_role(synth), ["geo:SearchPlaceIndexForText"])], geo


def test_web_role_trusts_lambda_and_what_zappa_needs(synth: Synthesized) -> None:
    trust = synth.resources[_web_role(synth)]["Properties"]["AssumeRolePolicyDocument"]
    services = {text(s) for st in trust["Statement"] for s in as_list(st["Principal"]["Service"])}
    assert services == {"lambda.amazonaws.com", "apigateway.amazonaws.com",
                        "events.amazonaws.com"}, f"the web role trusts {services}"


WORKER_TABLES = {
    "mailer": {},
    "audit-fanout": {"audit-events": "append", "audit-heads": "append", "idempotency": "put"},
    "push-sender": {"requests": "read", "request-targets": "write", "agencies": "read",
                    "users": "read", "push-subscriptions": "write", "tokens": "put",
                    "live-shares": "read"},
    "clip-cutter": {"request-targets": "write", "requests": "write", "evidence": "write",
                    "agencies": "read", "idempotency": "write", "audit-events": "append",
                    "audit-heads": "append"},
    "checkpoint": {"audit-events": "read", "audit-heads": "read", "audit-checkpoints": "write"},
    "erasure": {"audit-events": "write", "audit-heads": "append"},
    "receipts": {"audit-events": "read", "audit-heads": "read", "receipt-cursors": "write",
                 "users": "read", "request-targets": "read"},
    "retention": {"requests": "write", "request-targets": "write", "evidence": "write",
                  "agencies": "read", "live-shares": "write", "live-segments": "write",
                  "audit-events": "append", "audit-heads": "append"},
    # GetItem only, and GetItem + UpdateItem: tests/infra/test_devices.py says exactly.
    "iot-authorizer": {"bridge-devices": "read"},
    "bridge-status": {"bridge-devices": "write"},
}
# Workers that never read the app secret (Needs.reads_secret False).
NO_SECRET = {"iot-authorizer"}


def _level(actions: set[str]) -> str:
    if "dynamodb:UpdateItem" in actions:
        return "write"
    if "dynamodb:PutItem" in actions:
        return "append" if "dynamodb:GetItem" in actions else "put"
    return "read"


def _worker_role(synth: Synthesized, worker: str) -> str:
    fn = find_one(synth.resources, "AWS::Lambda::Function",
                  FunctionName=f"{synth.stage.prefix}{worker}")
    return str(logical_id(synth.resources[fn]["Properties"]["Role"]))


@pytest.mark.parametrize("worker", sorted(WORKER_TABLES))
def test_each_worker_reaches_only_the_tables_its_code_uses(prod: Synthesized,
                                                           worker: str) -> None:
    tables = _tables(prod)
    reach: dict[str, set[str]] = {}
    for st in role_statements(prod.resources, _worker_role(prod, worker)):
        for resource in st.resources:
            match = re.fullmatch(r"<(\w+)\.Arn>", resource)
            if match and match.group(1) in tables:
                reach.setdefault(tables[match.group(1)], set()).update(st.actions)
    assert {t: _level(a) for t, a in reach.items()} == WORKER_TABLES[worker], \
        f"{worker}: its table access differs from what its handler uses"


def _objects(synth: Synthesized, role: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    names = {_bucket(synth, "uploads"): "uploads", _bucket(synth, "clips"): "clips"}
    for st in role_statements(synth.resources, role):
        for resource in st.resources:
            match = re.fullmatch(r"<(\w+)\.Arn>/(.*)", resource)
            if match and match.group(1) in names:
                out.setdefault(f"{names[match.group(1)]}/{match.group(2)}", set()).update(
                    st.actions)
    return out


def test_workers_reach_only_their_object_prefixes(prod: Synthesized) -> None:
    expected = {
        "mailer": {}, "audit-fanout": {}, "push-sender": {}, "checkpoint": {}, "receipts": {},
        "erasure": {}, "iot-authorizer": {}, "bridge-status": {},
        "clip-cutter": {"uploads/originals/*": {"s3:GetObject"},
                        "clips/evidence/*": {"s3:GetObject", "s3:PutObject",
                                             "s3:AbortMultipartUpload",
                                             "s3:PutObjectLegalHold"}},
        "retention": {"uploads/originals/*": {"s3:DeleteObject"},
                      "uploads/live/*": {"s3:DeleteObject"},
                      "clips/evidence/*": {"s3:DeleteObjectVersion"}},
    }
    for worker, objects in expected.items():
        assert _objects(prod, _worker_role(prod, worker)) == objects, \
            f"{worker}: its S3 access differs from what its handler uses"


def test_workers_send_only_to_the_queues_their_code_uses(prod: Synthesized) -> None:
    queues = _queues(prod)
    expected = {"mailer": set(), "audit-fanout": set(), "push-sender": {"mail"},
                "clip-cutter": {"clips"}, "retention": {"push", "audit-fanout"},
                "iot-authorizer": set(), "bridge-status": set()}
    for worker, sends in expected.items():
        found = {queues[str(logical_id_of(r))] for st in role_statements(
            prod.resources, _worker_role(prod, worker)) if "sqs:SendMessage" in st.actions
                 for r in st.resources}
        assert found == sends, f"{worker} may send to {found}, its code sends to {sends}"


def logical_id_of(resource: str) -> str:
    match = re.fullmatch(r"<(\w+)\.Arn>", resource)
    assert match, resource
    return match.group(1)


def test_only_the_mailer_sends_mail_and_only_as_the_app(prod: Synthesized) -> None:
    for role, st in identity_statements(prod.resources):
        if any(a.startswith("ses:") for a in st.actions):
            assert role == _worker_role(prod, "mailer"), f"{role} may send email"
            assert st.actions == ["ses:SendEmail"]
            assert st.condition == {"StringEquals": {"ses:FromAddress":
                                                     prod.stage.sender_address}}


def test_the_secret_is_readable_by_the_web_role_and_the_workers_only(synth: Synthesized) -> None:
    secret = f"<{next(iter(synth.of_type('AWS::SecretsManager::Secret')))}>"
    readers = {role for role, st in identity_statements(synth.resources) if secret in st.resources}
    expected = {_web_role(synth)} | {_worker_role(synth, w) for w in WORKER_TABLES
                                     if w not in NO_SECRET}
    assert readers == expected, f"the secret is readable by {readers}"
    for role, st in identity_statements(synth.resources):
        if secret in st.resources:
            assert st.actions == ["secretsmanager:GetSecretValue"], f"{role} may {st.actions}"


# ------------------------------------------------------------------ workers, alarms, outputs


def test_worker_functions_are_sized_and_wired_as_the_registry_says(prod: Synthesized) -> None:
    settings = {"PORCHLIGHT_ENV", "PORCHLIGHT_TABLE_PREFIX", "PORCHLIGHT_UPLOADS_BUCKET",
                "PORCHLIGHT_CLIPS_BUCKET", "PORCHLIGHT_MAIL_QUEUE_URL",
                "PORCHLIGHT_AUDIT_QUEUE_URL", "PORCHLIGHT_PUSH_QUEUE_URL",
                "PORCHLIGHT_CLIPS_QUEUE_URL", "PORCHLIGHT_PUBLIC_URL", "PORCHLIGHT_MAIL_FROM",
                "PORCHLIGHT_MAIL_TRANSPORT", "PORCHLIGHT_VAPID_SUBJECT", "PORCHLIGHT_SECRETS_ARN"}
    for spec in (*QUEUES, *SCHEDULES):
        worker = spec.handler.split(":")[0].split(".")[1].replace("_", "-")
        props = prod.resources[find_one(prod.resources, "AWS::Lambda::Function",
                                        FunctionName=f"{prod.stage.prefix}{worker}")]["Properties"]
        assert props["Timeout"] == spec.timeout_seconds, f"{worker}: timeout"
        assert "VpcConfig" not in props, f"{worker} must reach the internet: no VPC"
        env = props["Environment"]["Variables"]
        assert settings <= set(env), f"{worker} lacks settings {settings - set(env)}"
        assert env["PORCHLIGHT_MAIL_TRANSPORT"] == "ses" and env["PORCHLIGHT_ENV"] == "prod"
        assert "PORCHLIGHT_SECRET_KEY" not in env, f"{worker} has a secret in its environment"
        if worker == "clip-cutter":
            assert props["PackageType"] == "Image"
            assert props["MemorySize"] == 3008 and props["EphemeralStorage"] == {"Size": 10240}
        else:
            assert props["Runtime"] == "python3.12"
            assert props["Handler"] == spec.handler.replace(":", ".")


def test_queues_feed_their_workers_with_partial_batch_failures(prod: Synthesized) -> None:
    queues = _queues(prod)
    mappings = {queues[str(logical_id(m["Properties"]["EventSourceArn"]))]: m["Properties"]
                for m in prod.of_type("AWS::Lambda::EventSourceMapping").values()}
    assert set(mappings) == {q.base_name for q in QUEUES}, "a queue has no worker reading it"
    for spec in QUEUES:
        props = mappings[spec.base_name]
        assert props["BatchSize"] == spec.batch_size, f"{spec.base_name}: batch size"
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"], \
            f"{spec.base_name}: one bad message would fail its whole batch"


def test_schedules_run_their_workers(prod: Synthesized) -> None:
    rules = {r["Properties"]["Name"]: r["Properties"]
             for r in prod.of_type("AWS::Events::Rule").values()}
    for spec in SCHEDULES:
        rule = rules[f"{prod.stage.prefix}{spec.base_name}"]
        assert rule["ScheduleExpression"] == spec.schedule
        worker = spec.handler.split(":")[0].split(".")[1].replace("_", "-")
        fn = find_one(prod.resources, "AWS::Lambda::Function",
                      FunctionName=f"{prod.stage.prefix}{worker}")
        assert [logical_id(t["Arn"]) for t in rule["Targets"]] == [fn]


WEB_ALARMS = ("web-errors", "web-throttles", "web-p95-duration", "api-5xx-rate")


def test_alarms_cover_dead_letters_errors_and_throttles(prod: Synthesized) -> None:
    topic = next(iter(prod.of_type("AWS::SNS::Topic")))
    alarms = {r["Properties"]["AlarmName"]: r["Properties"]
              for r in prod.of_type("AWS::CloudWatch::Alarm").values()}
    workers = [s.handler.split(":")[0].split(".")[1].replace("_", "-")
               for s in (*QUEUES, *SCHEDULES, *IOT)]
    expected = {f"{prod.stage.prefix}{q.base_name}-dlq-not-empty" for q in QUEUES} | \
        {f"{prod.stage.prefix}{w}-{kind}" for w in workers for kind in ("errors", "throttles")}
    web = {f"{prod.stage.prefix}{name}" for name in WEB_ALARMS}  # tests/infra/test_edge.py
    assert set(alarms) == expected | web, f"alarms differ: {set(alarms) ^ (expected | web)}"
    for name, alarm in alarms.items():
        assert [logical_id(a) for a in alarm["AlarmActions"]] == [topic], f"{name} tells nobody"
        if name in web:
            continue
        assert alarm["Threshold"] == 1 and alarm["Period"] == 300, name
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", name


def test_outputs_name_everything_the_app_needs(synth: Synthesized) -> None:
    outputs = synth.template["Outputs"]
    assert set(outputs) == OUTPUTS, \
        f"stack outputs differ (list them in DEPLOY.md and infra/cdk/README.md too): " \
        f"{set(outputs) ^ OUTPUTS}"
    assert outputs["TablePrefix"]["Value"] == synth.stage.prefix


def test_the_secret_is_generated_not_written(synth: Synthesized) -> None:
    (secret,) = synth.of_type("AWS::SecretsManager::Secret").values()
    props = secret["Properties"]
    assert "SecretString" not in props, "a secret value is written into the template"
    generate = props["GenerateSecretString"]
    assert generate["GenerateStringKey"] == "secret_key" and generate["PasswordLength"] >= 48
    assert generate["SecretStringTemplate"] == '{"vapid_private_key": ""}'


def test_the_clip_image_is_staged_without_the_virtualenv(prod: Synthesized) -> None:
    fn = find_one(prod.resources, "AWS::Lambda::Function",
                  FunctionName=f"{prod.stage.prefix}clip-cutter")
    image = text(prod.resources[fn]["Properties"]["Code"]["ImageUri"])
    digest = image.rsplit(":", 1)[-1]
    staged = prod.outdir / f"asset.{digest}"
    assert staged.is_dir(), f"the image's build context was not staged at {staged}"
    top = {p.name for p in staged.iterdir()}
    assert top <= {"app", "lambdas", ".dockerignore"}, f"the image context holds {top}"
    assert (staged / "lambdas" / "clip_cutter" / "Dockerfile").is_file()


def test_statements_are_allows_only(synth: Synthesized) -> None:
    for role, st in identity_statements(synth.resources):
        assert isinstance(st, Statement) and st.effect == "Allow", f"{role}: {st.raw}"
