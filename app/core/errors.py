"""Typed exceptions raised by the rules; the web layer maps them to responses in one place."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.roles import N_
from app.core.texts import gettext


class AppError(Exception):
    status = 500
    title = N_("Something went wrong")
    slug = "internal-error"

    def __init__(self, detail: str = "", **extra: object) -> None:
        super().__init__(detail or self.title)
        # `title` is English (marked, translated where shown: app/web/errors.py); a detail left
        # out is the title in the request's language, for the pages that show only the detail.
        self.detail = detail or gettext(self.title)
        self.extra = extra


class ValidationError(AppError):
    """Input that cannot be used; `errors` maps each field to what was wrong with it."""

    status = 422
    title = N_("Some of what was sent cannot be used")
    slug = "validation-error"

    def __init__(self, detail: str = "", errors: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.errors = dict(errors or {})


class LinkGoneError(ValidationError):
    """A one-time link or button (sign-up, reset, invitation, pairing code, Approve/Decline)
    that expired, was used already, or was never ours. Still a 422 naming the `token` field for
    the API's callers; pages and routes that have a page for it catch this type."""

    def __init__(self, detail: str, why: str | None = None) -> None:
        super().__init__(detail, {"token": gettext("expired or already used") if why is None
                                  else why})


class BadRequestError(AppError):
    status = 400
    title = N_("The request could not be read")
    slug = "bad-request"


class UnsupportedMediaTypeError(AppError):
    status = 415
    title = N_("Send JSON")
    slug = "unsupported-media-type"


class UnauthorizedError(AppError):
    status = 401
    title = N_("Log in to continue")
    slug = "unauthorized"


class ForbiddenError(AppError):
    status = 403
    title = N_("You are not allowed to do this")
    slug = "forbidden"


class CsrfError(ForbiddenError):
    title = N_("The form expired or did not come from Porchlight")
    slug = "csrf-failed"


class MfaRequiredError(ForbiddenError):
    title = N_("Confirm your authenticator code first")
    slug = "mfa-required"


class NotFoundError(AppError):
    status = 404
    title = N_("Not found")
    slug = "not-found"


class ConflictError(AppError):
    status = 409
    title = N_("This conflicts with what is already there")
    slug = "conflict"


class TooManyRequestsError(AppError):
    status = 429
    title = N_("Too many attempts")
    slug = "too-many-requests"

    def __init__(self, detail: str = "", retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class GoneError(AppError):
    """Something that existed is over for good (an ended live share)."""

    status = 410
    title = N_("This has ended")
    slug = "gone"


class UnavailableError(AppError):
    """A service Porchlight relies on is not set up or not answering: address search, or the
    database itself (throttled or unreachable while a session was checked)."""

    status = 503
    title = N_("Not available right now")
    slug = "unavailable"


class PayloadTooLargeError(AppError):
    status = 413
    title = N_("What was sent is too large")
    slug = "payload-too-large"


class LegalHoldError(ConflictError):
    """S3 refused to place or lift a legal hold on an evidence file; `detail` says what
    Porchlight recorded (nothing, when placing)."""

    title = N_("The legal hold could not be changed")
    slug = "legal-hold-failed"
