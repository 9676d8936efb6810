"""A complete production environment for `load_settings`, which the settings tests vary."""

from __future__ import annotations

BASE = {
    "PORCHLIGHT_ENV": "prod",
    "PORCHLIGHT_SECRET_KEY": "s" * 40,
    "AWS_REGION": "us-east-2",
    "PORCHLIGHT_TABLE_PREFIX": "pl-prod-",
    "PORCHLIGHT_UPLOADS_BUCKET": "pl-prod-uploads",
    "PORCHLIGHT_CLIPS_BUCKET": "pl-prod-clips",
    "PORCHLIGHT_MAIL_QUEUE_URL": "https://sqs.us-east-2.amazonaws.com/1/pl-prod-mail",
    "PORCHLIGHT_AUDIT_QUEUE_URL": "https://sqs.us-east-2.amazonaws.com/1/pl-prod-audit-fanout",
    "PORCHLIGHT_PUSH_QUEUE_URL": "https://sqs.us-east-2.amazonaws.com/1/pl-prod-push",
    "PORCHLIGHT_CLIPS_QUEUE_URL": "https://sqs.us-east-2.amazonaws.com/1/pl-prod-clips",
    "PORCHLIGHT_PUBLIC_URL": "https://porchlight.example.gov/",
}
