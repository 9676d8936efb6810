"""Settings read once from the environment, failing fast on anything missing.

Nothing here imports Flask, so the workers, the CLI and devstack read the very same settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; the message names it."""


# The program's own base map: a PMTiles archive in the uploads bucket (DEPLOY.md, "Your map").
MAP_PREFIX = "map/"
MAP_KEY_DEFAULT = "map/city.pmtiles"
POLICE_IDLE_DEFAULT = 30 * 60
OWNER_IDLE_DEFAULT = 12 * 60 * 60
ABSOLUTE_DEFAULT = 12 * 60 * 60


@dataclass(frozen=True)
class Settings:
    """Everything the app, the workers and the CLI need to know about where they run."""

    env: str  # "devstack", "dev", "prod", ...
    secret_key: str
    region: str
    # AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> as set, by suffix ("" for the global one);
    # empty means real AWS. Read through endpoint_for().
    aws_endpoints: tuple[tuple[str, str], ...]
    table_prefix: str
    uploads_bucket: str  # owners' originals and camera photos, written by phones
    clips_bucket: str  # what the clip worker makes: clips, posters, manifests, packages
    mail_queue_url: str
    audit_queue_url: str  # owner notices of police reads, appended by the audit-fanout worker
    push_queue_url: str  # footage-request notifications, sent by the push worker
    clips_queue_url: str  # finished uploads, cut by the clip worker
    mail_transport: str  # "outbox" (devstack only) or "ses"
    mail_from: str
    public_url: str
    cookie_secure: bool
    police_idle_seconds: int = POLICE_IDLE_DEFAULT
    owner_idle_seconds: int = OWNER_IDLE_DEFAULT
    absolute_seconds: int = ABSOLUTE_DEFAULT
    login_max_failures: int = 5
    lockout_seconds: int = 15 * 60
    # Per address and window, each action on its own counter (app/services/people/throttle.py):
    # failed log-ins, failed bridge pairings, sign-ups, reset requests, feedback posts.
    login_ip_limit: int = 30
    login_ip_window_seconds: int = 5 * 60
    account_mail_limit: int = 5  # sign-up mails, and reset mails, to one address per hour
    max_body_bytes: int = 1024 * 1024
    # The base map: a PMTiles archive's key in the uploads bucket (served at /map/tiles.pmtiles),
    # or a raster tile server the program runs or licenses (a URL template, which wins when
    # set). Neither: maps draw the program's street list on a plain background.
    map_key: str = ""
    tile_url: str = ""
    map_attribution: str = ""  # plain text; empty: the default for the source (app.maps)
    # Address search: an Amazon Location place index (on AWS), else the program's street list.
    place_index: str = ""
    geocode_country: str = "USA"  # ISO 3166-1 alpha-3, as Amazon Location filters by it
    # Web Push (VAPID): the public key goes to browsers; only the push worker needs the private
    # one. Empty means push is off and owners are told by email only.
    vapid_public_key: str = ""
    vapid_private_key: str = ""
    vapid_subject: str = "mailto:admin@porchlight.invalid"
    # Audit checkpoints are signed with a KMS key (ECC_NIST_P256, SIGN_VERIFY) when one is
    # named, else with this PEM EC P-256 private key (devstack makes one at start).
    erasure_queue_url: str = ""  # an owner left: erase their events' sealed fields
    checkpoint_kms_key: str = ""
    checkpoint_private_key: str = ""
    log_level: str = "INFO"  # PORCHLIGHT_LOG_LEVEL; libraries stay at WARNING (app/logs.py)
    devstack_data: str = ""  # devstack only: the folder make run keeps its data in ("": memory)
    # The device channel (app/services/realtime/channel.py): "" none (bridges poll every few
    # seconds), "mqtt" a plain MQTT broker (devstack's mosquitto), "iot" AWS IoT Core.
    device_channel: str = ""
    mqtt_url: str = ""  # where bridges connect: mqtt://host:port or mqtts://host:port
    mqtt_app_password: str = field(default="", repr=False)  # "mqtt" only: the app's login
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_devstack(self) -> bool:
        return self.env == "devstack"

    def endpoint_for(self, service: str) -> str | None:
        """Where calls to one AWS service go (client name: "dynamodb", "s3", ...): its own
        AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else None, meaning real AWS. The
        app's clients pass it explicitly, so a Settings built from any mapping decides alone."""
        return _pick(self.aws_endpoints, service)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


REQUIRED = (
    "PORCHLIGHT_ENV",
    "PORCHLIGHT_SECRET_KEY",
    "AWS_REGION",
    "PORCHLIGHT_TABLE_PREFIX",
    "PORCHLIGHT_UPLOADS_BUCKET",
    "PORCHLIGHT_CLIPS_BUCKET",
    "PORCHLIGHT_MAIL_QUEUE_URL",
    "PORCHLIGHT_AUDIT_QUEUE_URL",
    "PORCHLIGHT_PUSH_QUEUE_URL",
    "PORCHLIGHT_CLIPS_QUEUE_URL",
    "PORCHLIGHT_PUBLIC_URL",
)


@dataclass(frozen=True)
class Documented:
    """One row of the README's configuration table: the variables it names and what they mean.
    tools/config_table.py writes the table from DOCUMENTED, and tests/unit/test_config_table.py
    fails when a variable read here has no row, or when the README differs."""

    names: tuple[str, ...]
    meaning: str


DOCUMENTED = (
    Documented(("PORCHLIGHT_ENV",), "`devstack`, `dev`, `prod` … (the outbox and demo seeding "
               "exist only in `devstack`)"),
    Documented(("PORCHLIGHT_SECRET_KEY",), "signs CSRF tokens and the Approve/Decline links in "
               "push notifications; 32+ characters outside devstack. On AWS it comes from the "
               "secret `PORCHLIGHT_SECRETS_ARN` names"),
    Documented(("PORCHLIGHT_SECRETS_ARN",), "on AWS, the Secrets Manager secret holding JSON "
               "`{\"secret_key\", \"vapid_private_key\", \"checkpoint_private_key\"}`, read "
               "at start and kept 5 minutes; a value already in the environment wins (devstack "
               "sets them directly)"),
    Documented(("AWS_REGION",), "region of the tables, buckets and queues"),
    Documented(("AWS_ENDPOINT_URL",), "set only for a local AWS (devstack sets it); **unset "
               "means real AWS**. botocore's per-service variables win for their service, "
               "as in every AWS SDK: `AWS_ENDPOINT_URL_DYNAMODB` (devstack points it at DynamoDB "
               "Local), `AWS_ENDPOINT_URL_S3`, `_SQS`, `_KMS`, `_SES`, `_SECRETS_MANAGER`"),
    Documented(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",), "`true` ignores every `AWS_ENDPOINT_URL*` "
               "variable, as botocore does"),
    Documented(("PORCHLIGHT_DEVSTACK_DATA",), "devstack only, set by `make run`: the folder its "
               "data is kept in between runs (empty: in memory, as in the tests); the page "
               "footer says which"),
    Documented(("PORCHLIGHT_TABLE_PREFIX",), "tables are named `<prefix><table>` (e.g. "
               "`porchlight-prod-users`)"),
    Documented(("PORCHLIGHT_UPLOADS_BUCKET",), "S3 bucket for uploads: owners' originals, "
               "camera photos, live video pieces, and the program's map under `map/`"),
    Documented(("PORCHLIGHT_CLIPS_BUCKET",), "S3 bucket of what the clip worker makes: clips, "
               "posters, manifests and evidence packages (Object Lock on AWS, for legal holds)"),
    Documented(("PORCHLIGHT_MAIL_QUEUE_URL",), "SQS queue the mail worker reads"),
    Documented(("PORCHLIGHT_AUDIT_QUEUE_URL",), "SQS queue of owner notices (police searches, "
               "map views, exports), written to the audit log by the audit-fanout worker"),
    Documented(("PORCHLIGHT_PUSH_QUEUE_URL",), "SQS queue of footage-request notifications, "
               "sent by the push worker"),
    Documented(("PORCHLIGHT_CLIPS_QUEUE_URL",), "SQS queue of finished uploads, cut by the clip "
               "worker"),
    Documented(("PORCHLIGHT_ERASURE_QUEUE_URL",), "SQS queue of owners who left the program, "
               "whose audit events' sealed fields the erasure worker erases; leaving needs it "
               "(the stack's outputs and devstack set it)"),
    Documented(("PORCHLIGHT_VAPID_PUBLIC_KEY", "PORCHLIGHT_VAPID_PRIVATE_KEY",
                "PORCHLIGHT_VAPID_SUBJECT"), "Web Push keys (raw base64url P-256; devstack makes "
               "a fresh pair). The web app needs only the public key; the push worker the "
               "private one (on AWS, from the secret). Unset: push is off and owners get email"),
    Documented(("PORCHLIGHT_PUBLIC_URL",), "the app's address, used in emailed links; "
               "`https://` turns on secure cookies"),
    Documented(("PORCHLIGHT_MAIL_TRANSPORT",), "`ses` (default outside devstack) or `outbox` "
               "(devstack only)"),
    Documented(("PORCHLIGHT_MAIL_FROM",), "sender address for SES (default "
               "`Porchlight <no-reply@porchlight.invalid>`)"),
    Documented(("PORCHLIGHT_POLICE_IDLE_SECONDS",), "idle timeout of police and auditor "
               f"sessions (default {POLICE_IDLE_DEFAULT})"),
    Documented(("PORCHLIGHT_OWNER_IDLE_SECONDS",), "idle timeout of owner sessions (default "
               f"{OWNER_IDLE_DEFAULT})"),
    Documented(("PORCHLIGHT_SESSION_MAX_SECONDS",), "absolute session limit for everyone "
               f"(default {ABSOLUTE_DEFAULT}, {ABSOLUTE_DEFAULT // 3600} h)"),
    Documented(("PORCHLIGHT_LOGIN_MAX_FAILURES", "PORCHLIGHT_LOCKOUT_SECONDS",
                "PORCHLIGHT_LOGIN_IP_LIMIT", "PORCHLIGHT_ACCOUNT_MAIL_LIMIT"),
               "lockout after repeated wrong passwords or authenticator codes (counted apart, "
               "per account; default 5, for 900 seconds); per-address limits, each action on "
               "its own counter (failed log-ins and pairings, sign-ups, reset requests, "
               "feedback; default 30 per 5 minutes); sign-up and reset mails per email address "
               "per hour (default 5)"),
    Documented(("PORCHLIGHT_MAP_KEY",), "the program's PMTiles map in the uploads bucket, "
               f"under `{MAP_PREFIX}` (default `{MAP_KEY_DEFAULT}`; none in devstack)"),
    Documented(("PORCHLIGHT_TILE_URL",), "instead, a raster tile server of the program's own "
               "(https URL template; OpenStreetMap's own servers are refused)"),
    Documented(("PORCHLIGHT_MAP_ATTRIBUTION",), "the map's credit as plain text (default: "
               "Protomaps and OpenStreetMap contributors)"),
    Documented(("PORCHLIGHT_PLACE_INDEX", "PORCHLIGHT_GEOCODE_COUNTRY"), "Amazon Location "
               "place index for address search (from the stack's outputs), and the country it "
               "searches (ISO alpha-3, default `USA`); without an index, `map/streets.geojson` "
               "is searched"),
    Documented(("PORCHLIGHT_CHECKPOINT_KMS_KEY", "PORCHLIGHT_CHECKPOINT_PRIVATE_KEY"), "what "
               "signs the audit checkpoints: a KMS key (ECC_NIST_P256, SIGN_VERIFY; the "
               "stack's `CheckpointKeyArn`) when set, else a PEM EC P-256 private key "
               "(devstack makes one at start; on AWS it may come from the secret). Neither: "
               "no checkpoint can be made, and their signatures are not checked"),
    Documented(("PORCHLIGHT_DEVICE_CHANNEL",), "how the app wakes a paired bridge "
               "(docs/device-channel.md): empty (default) for none, bridges then ask every 5 "
               "seconds; `iot` AWS IoT Core (the app publishes through `iot-data`, at "
               "`AWS_ENDPOINT_URL_IOT_DATA_PLANE` when set, else the host of "
               "`PORCHLIGHT_MQTT_URL`); `mqtt` a plain MQTT broker (devstack's mosquitto). "
               "With a channel, a connected bridge asks only once a minute"),
    Documented(("PORCHLIGHT_MQTT_URL",), "with a channel: where bridges connect, "
               "`mqtts://<host>:443` on AWS, the host of the stack's IoT endpoint "
               "(`DeviceEndpointName`, DEPLOY.md step 7, whose custom authorizer lets paired "
               "bridges in), `mqtt://127.0.0.1:<port>` in devstack (plain MQTT only on "
               "loopback)"),
    Documented(("PORCHLIGHT_MQTT_APP_PASSWORD",), "channel `mqtt` only: the password of the "
               "broker user `porchlight-app`, the only one allowed to send bridges commands "
               "(devstack makes one at start); never logged"),
    Documented(("PORCHLIGHT_LOG_LEVEL",), "`INFO` (default), `DEBUG`, `WARNING` or `ERROR`: the "
               "app's and workers' JSON logs. Libraries that would log whole requests "
               "(botocore, PynamoDB, Zappa, werkzeug) stay at WARNING at every level"),
)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _country(env: Mapping[str, str]) -> str:
    country = (env.get("PORCHLIGHT_GEOCODE_COUNTRY") or "USA").strip().upper()
    if not (len(country) == 3 and country.isalpha()):
        raise ConfigError(f"PORCHLIGHT_GEOCODE_COUNTRY must be a 3-letter ISO 3166 code like "
                          f"USA, got {country!r}")
    return country


ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
# botocore names a service's variable by its service id (upper case, spaces as "_"), which is
# the client's name for every service Porchlight calls except these.
_SERVICE_IDS = {"secretsmanager": "SECRETS_MANAGER", "iot-data": "IOT_DATA_PLANE"}


def endpoint_variable(service: str) -> str:
    """The standard variable that points one service elsewhere: "dynamodb" ->
    AWS_ENDPOINT_URL_DYNAMODB (botocore's rule, shared by every AWS SDK)."""
    return f"{ENDPOINT_VARIABLE}_{_SERVICE_IDS.get(service, service.upper())}"


def aws_endpoints(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The endpoint variables set in `env`, as botocore reads them; none at all when
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true, as botocore then ignores them too."""
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return ()
    found = []
    for key, value in env.items():
        if value and (key == ENDPOINT_VARIABLE or key.startswith(ENDPOINT_VARIABLE + "_")):
            found.append((key.removeprefix(ENDPOINT_VARIABLE).lstrip("_"), value))
    return tuple(sorted(found))


def endpoint_in(env: Mapping[str, str], service: str) -> str | None:
    """Settings.endpoint_for without the rest of the settings (benches, test tools)."""
    return _pick(aws_endpoints(env), service)


def _pick(endpoints: tuple[tuple[str, str], ...], service: str) -> str | None:
    found = dict(endpoints)
    suffix = endpoint_variable(service).removeprefix(ENDPOINT_VARIABLE + "_")
    return found.get(suffix) or found.get("") or None


SECRETS_MAX_AGE = 300  # seconds a warm Lambda keeps the secret before reading it again


def _with_secrets(env: Mapping[str, str]) -> Mapping[str, str]:
    """On AWS the session key and the VAPID private key live in Secrets Manager, never in the
    environment or a file: PORCHLIGHT_SECRETS_ARN names a secret holding JSON
    {"secret_key": ..., "vapid_private_key": ...}, read through Powertools parameters (cached
    per container). Values already in the environment win (devstack sets them directly)."""
    arn = env.get("PORCHLIGHT_SECRETS_ARN")
    if not arn or env.get("PORCHLIGHT_SECRET_KEY"):
        return env
    from aws_lambda_powertools.utilities import parameters

    try:
        values = parameters.get_secret(arn, transform="json", max_age=SECRETS_MAX_AGE)
    except parameters.exceptions.GetParameterError as exc:
        raise ConfigError(f"Porchlight cannot read its secrets from {arn}: {exc}") from exc
    if not isinstance(values, dict) or not values.get("secret_key"):
        raise ConfigError(f"the secret {arn} has no 'secret_key' (see DEPLOY.md)")
    merged = dict(env)
    merged["PORCHLIGHT_SECRET_KEY"] = str(values["secret_key"])
    if values.get("vapid_private_key") and not env.get("PORCHLIGHT_VAPID_PRIVATE_KEY"):
        merged["PORCHLIGHT_VAPID_PRIVATE_KEY"] = str(values["vapid_private_key"])
    if values.get("checkpoint_private_key") and not env.get(
            "PORCHLIGHT_CHECKPOINT_PRIVATE_KEY"):
        merged["PORCHLIGHT_CHECKPOINT_PRIVATE_KEY"] = str(values["checkpoint_private_key"])
    return merged


def _tile_url(env: Mapping[str, str]) -> str:
    """A raster tile server of the program's own; never OpenStreetMap's, whose tile usage policy
    forbids heavy or commercial use (https://operations.osmfoundation.org/policies/tiles/)."""
    url = env.get("PORCHLIGHT_TILE_URL", "").strip()
    host = urlsplit(url).hostname or ""
    if host == "openstreetmap.org" or host.endswith(".openstreetmap.org"):
        raise ConfigError("PORCHLIGHT_TILE_URL must not be OpenStreetMap's own tile servers: "
                          "their usage policy forbids this use. Serve the program's own map "
                          "(PORCHLIGHT_MAP_KEY, DEPLOY.md).")
    if url and not url.startswith("https://"):
        raise ConfigError("PORCHLIGHT_TILE_URL must be an https:// URL template")
    return url


def _map_key(env: Mapping[str, str], stage: str) -> str:
    """The archive's key: only under map/ (all the web role may read there, and no owner's file
    can ever be served as the map)."""
    key = env.get("PORCHLIGHT_MAP_KEY", "" if stage == "devstack" else MAP_KEY_DEFAULT).strip()
    if key and not (key.startswith(MAP_PREFIX) and key.endswith(".pmtiles") and ".." not in key):
        raise ConfigError(f"PORCHLIGHT_MAP_KEY must name a .pmtiles file under {MAP_PREFIX} in "
                          f"the uploads bucket, got {key!r}")
    return key


CHANNELS = ("", "mqtt", "iot")


def _channel(env: Mapping[str, str]) -> tuple[str, str, str]:
    """The device channel, the URL bridges connect to, and the app's broker password; a
    channel without what it needs stops start-up, naming the variable."""
    channel = env.get("PORCHLIGHT_DEVICE_CHANNEL", "").strip().lower()
    url = env.get("PORCHLIGHT_MQTT_URL", "").strip()
    password = env.get("PORCHLIGHT_MQTT_APP_PASSWORD", "")
    if channel not in CHANNELS:
        raise ConfigError(f"PORCHLIGHT_DEVICE_CHANNEL must be empty, 'mqtt' or 'iot', got "
                          f"{channel!r}")
    if not channel:
        return "", "", ""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname or not port \
            or parts.username or parts.password:
        raise ConfigError("PORCHLIGHT_MQTT_URL must be mqtt://host:port or mqtts://host:port "
                          "(no login in it) when PORCHLIGHT_DEVICE_CHANNEL is set")
    if channel == "iot" and parts.scheme != "mqtts":
        raise ConfigError("PORCHLIGHT_MQTT_URL must be mqtts:// (AWS IoT Core's endpoint) "
                          "for the 'iot' channel")
    if channel == "mqtt" and not password:
        raise ConfigError("PORCHLIGHT_MQTT_APP_PASSWORD is missing: the 'mqtt' channel "
                          "publishes commands as the broker user porchlight-app")
    return channel, url, password if channel == "mqtt" else ""


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment; raise ConfigError naming every missing value."""
    env = os.environ if env is None else env
    env = _with_secrets(env)
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise ConfigError(
            "Porchlight cannot start: missing setting(s) "
            + ", ".join(missing)
            + ". Locally, `make run` sets them; on AWS they come from the stack outputs."
        )
    stage = env["PORCHLIGHT_ENV"]
    secret = env["PORCHLIGHT_SECRET_KEY"]
    vapid_private = env.get("PORCHLIGHT_VAPID_PRIVATE_KEY", "")
    if stage != "devstack" and len(secret) < 32:
        raise ConfigError("PORCHLIGHT_SECRET_KEY must be at least 32 characters outside devstack")
    transport = env.get("PORCHLIGHT_MAIL_TRANSPORT", "outbox" if stage == "devstack" else "ses")
    if transport not in ("outbox", "ses"):
        raise ConfigError(f"PORCHLIGHT_MAIL_TRANSPORT must be 'outbox' or 'ses', got {transport!r}")
    if transport == "outbox" and stage != "devstack":
        raise ConfigError("the outbox mail transport exists only in devstack; use 'ses'")
    public_url = env["PORCHLIGHT_PUBLIC_URL"].rstrip("/")
    log_level = (env.get("PORCHLIGHT_LOG_LEVEL") or "INFO").upper()
    channel, mqtt_url, mqtt_password = _channel(env)
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"PORCHLIGHT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, "
                          f"got {log_level!r}")
    return Settings(
        env=stage,
        secret_key=secret,
        region=env["AWS_REGION"],
        aws_endpoints=aws_endpoints(env),
        devstack_data=env.get("PORCHLIGHT_DEVSTACK_DATA", "") if stage == "devstack" else "",
        table_prefix=env["PORCHLIGHT_TABLE_PREFIX"],
        uploads_bucket=env["PORCHLIGHT_UPLOADS_BUCKET"],
        clips_bucket=env["PORCHLIGHT_CLIPS_BUCKET"],
        mail_queue_url=env["PORCHLIGHT_MAIL_QUEUE_URL"],
        audit_queue_url=env["PORCHLIGHT_AUDIT_QUEUE_URL"],
        push_queue_url=env["PORCHLIGHT_PUSH_QUEUE_URL"],
        clips_queue_url=env["PORCHLIGHT_CLIPS_QUEUE_URL"],
        mail_transport=transport,
        mail_from=env.get("PORCHLIGHT_MAIL_FROM", "Porchlight <no-reply@porchlight.invalid>"),
        public_url=public_url,
        cookie_secure=public_url.startswith("https://"),
        police_idle_seconds=_int(env, "PORCHLIGHT_POLICE_IDLE_SECONDS", POLICE_IDLE_DEFAULT),
        owner_idle_seconds=_int(env, "PORCHLIGHT_OWNER_IDLE_SECONDS", OWNER_IDLE_DEFAULT),
        absolute_seconds=_int(env, "PORCHLIGHT_SESSION_MAX_SECONDS", ABSOLUTE_DEFAULT),
        login_max_failures=_int(env, "PORCHLIGHT_LOGIN_MAX_FAILURES", 5),
        lockout_seconds=_int(env, "PORCHLIGHT_LOCKOUT_SECONDS", 15 * 60),
        login_ip_limit=_int(env, "PORCHLIGHT_LOGIN_IP_LIMIT", 30),
        account_mail_limit=_int(env, "PORCHLIGHT_ACCOUNT_MAIL_LIMIT", 5),
        map_key=_map_key(env, stage),
        tile_url=_tile_url(env),
        map_attribution=env.get("PORCHLIGHT_MAP_ATTRIBUTION", "").strip(),
        place_index=env.get("PORCHLIGHT_PLACE_INDEX", "").strip(),
        geocode_country=_country(env),
        vapid_public_key=env.get("PORCHLIGHT_VAPID_PUBLIC_KEY", ""),
        vapid_private_key=vapid_private,
        vapid_subject=env.get("PORCHLIGHT_VAPID_SUBJECT", "mailto:admin@porchlight.invalid"),
        erasure_queue_url=env.get("PORCHLIGHT_ERASURE_QUEUE_URL", ""),
        checkpoint_kms_key=env.get("PORCHLIGHT_CHECKPOINT_KMS_KEY", ""),
        checkpoint_private_key=env.get("PORCHLIGHT_CHECKPOINT_PRIVATE_KEY", ""),
        log_level=log_level,
        device_channel=channel,
        mqtt_url=mqtt_url,
        mqtt_app_password=mqtt_password,
    )
