"""The optional photo of a camera's view: uploaded by the phone straight to S3.

The app never carries the bytes: it hands out a presigned POST limited to one key, an image
type and 5 MB, then checks the object S3 holds before attaching it to the camera.
(moto does not enforce presigned-POST conditions; the size and type are checked again here,
and the object's first bytes must be the picture its type names, of a size a phone takes.)
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from app.aws import aws_client, s3_missing
from app.config import Settings
from app.core import images
from app.core.errors import ValidationError
from app.core.roles import N_
from app.core.texts import gettext
from app.models.cameras import Camera
from app.models.users import User
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import registry

MAX_BYTES = 5 * 1024 * 1024
TYPES = {"image/jpeg", "image/png", "image/webp"}
PREFIX = "camera-photos/"
URL_SECONDS = 300
NOT_A_PHOTO = N_("The file is not a JPEG, PNG or WebP photo.")  # translated where raised


def upload_form(settings: Settings, owner: User, camera_id: str, content_type: str
                ) -> dict[str, Any]:
    camera = registry.owned(owner, camera_id)
    if content_type not in TYPES:
        raise ValidationError(gettext("Send a JPEG, PNG or WebP photo."), {
            "content_type": gettext("must be image/jpeg, image/png or image/webp")})
    key = f"{PREFIX}{camera.camera_id}/{uuid.uuid4().hex}"
    post = aws_client(settings, "s3").generate_presigned_post(
        Bucket=settings.uploads_bucket, Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, MAX_BYTES]],
        ExpiresIn=URL_SECONDS,
    )
    return {"key": key, "url": post["url"], "fields": post["fields"], "max_bytes": MAX_BYTES}


def attach(settings: Settings, owner: User, camera_id: str, key: str, ip: str) -> Camera:
    camera = registry.owned(owner, camera_id)
    if not re.fullmatch(re.escape(f"{PREFIX}{camera.camera_id}/") + "[0-9a-f]{32}", key):
        raise ValidationError(gettext("That photo does not belong to this camera."),
                              {"key": gettext("wrong key")})
    s3 = aws_client(settings, "s3")
    try:
        head = s3.head_object(Bucket=settings.uploads_bucket, Key=key)
    except s3.exceptions.ClientError as exc:
        if not s3_missing(exc):
            raise  # S3 did not answer: the photo may well be there
        raise ValidationError(gettext("The photo has not arrived; upload it again."),
                              {"key": gettext("no such upload")}) from exc
    problem = None
    if head["ContentLength"] > MAX_BYTES:
        problem = gettext("The photo is larger than 5 MB; choose a smaller one.")
    elif head.get("ContentType") not in TYPES or head["ContentLength"] == 0:
        problem = gettext(NOT_A_PHOTO)
    else:
        problem = _looks_wrong(s3, settings.uploads_bucket, key, head["ContentType"])
    if problem:
        s3.delete_object(Bucket=settings.uploads_bucket, Key=key)
        raise ValidationError(problem, {"photo": problem})
    old = camera.photo_key
    camera.update(actions=[Camera.photo_key.set(key)])
    if old and old != key:
        s3.delete_object(Bucket=settings.uploads_bucket, Key=old)  # deletion is real
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "camera.photo_added",
                 owner.user_id, {"camera": camera.camera_id})
    return camera


def _looks_wrong(s3: Any, bucket: str, key: str, content_type: str) -> str | None:
    """Why the object's own first bytes refuse it, or None: a file that only claims to be a
    photo, or a picture so large it would unpack into gigabytes on the viewer's screen."""
    first = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{images.HEAD_BYTES - 1}")
    picture = images.sniff(first["Body"].read())
    if picture is None or picture.content_type != content_type:
        return gettext(NOT_A_PHOTO)
    if picture.too_large:
        return gettext("The photo is %(width)s×%(height)s pixels, more than a phone takes; "
                       "choose a smaller one.", width=picture.width, height=picture.height)
    return None


def view_url(settings: Settings, camera: Camera) -> str | None:
    if not camera.photo_key:
        return None
    url: str = aws_client(settings, "s3").generate_presigned_url(
        "get_object", Params={"Bucket": settings.uploads_bucket, "Key": camera.photo_key},
        ExpiresIn=URL_SECONDS)
    return url
