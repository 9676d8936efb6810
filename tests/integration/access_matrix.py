"""Who may use each route: every route x every role (and anonymous), written by hand.

tests/integration/test_authorization_matrix.py checks every route against this table (a new
route fails until it is added here); tests/integration/test_object_access.py reads it too.
"""

from __future__ import annotations

from typing import Any

PUBLIC = "public"
ANY = "any-user"
AUDITOR = {"auditor"}
ADMIN = {"agency_admin"}
OWNERS = {"owner", "org_admin"}
SEARCHERS = {"detective", "supervisor"}
BULLETIN_READERS = SEARCHERS | {"officer"}  # responding officers read bulletins, nothing more

# (method, path) -> who may use it. Paths use sample values for their parameters.
EXPECTED: dict[tuple[str, str], Any] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/signup"): PUBLIC,
    ("POST", "/signup"): PUBLIC,
    ("GET", "/signup/finish/<token>"): PUBLIC,
    ("POST", "/signup/finish/<token>"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): ANY,
    ("GET", "/password/forgot"): PUBLIC,
    ("POST", "/password/forgot"): PUBLIC,
    ("GET", "/password/reset/<token>"): PUBLIC,
    ("POST", "/password/reset/<token>"): PUBLIC,
    ("GET", "/invite/<token>"): PUBLIC,
    ("POST", "/invite/<token>"): PUBLIC,
    ("GET", "/mfa/setup"): ANY,
    ("POST", "/mfa/setup"): ANY,
    ("GET", "/mfa/verify"): ANY,
    ("POST", "/mfa/verify"): ANY,
    ("GET", "/account/activity"): ANY,
    ("GET", "/account/sessions"): ANY,
    ("POST", "/account/sessions/<public_id>/revoke"): ANY,
    ("POST", "/account/notifications/<subscription_id>/remove"): ANY,
    ("POST", "/account/receipts"): OWNERS,
    ("GET", "/account/leave"): OWNERS,
    ("POST", "/account/leave"): OWNERS,
    ("GET", "/program"): PUBLIC,
    ("GET", "/program/history"): PUBLIC,
    ("GET", "/program/history/<int:number>"): PUBLIC,
    ("GET", "/program/feedback"): PUBLIC,
    ("POST", "/program/feedback"): PUBLIC,
    ("GET", "/admin/program"): ADMIN,
    ("POST", "/admin/program"): ADMIN,
    ("GET", "/admin/feedback"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("GET", "/admin/invitations"): ADMIN,
    ("POST", "/admin/invitations"): ADMIN,
    ("POST", "/admin/users/<user_id>/role"): ADMIN,
    ("POST", "/admin/users/<user_id>/sessions/revoke"): ADMIN,
    ("GET", "/audit"): AUDITOR,
    ("GET", "/audit/verify"): AUDITOR,
    ("GET", "/audit/events/<chain>/<seq>"): AUDITOR, ("GET", "/audit/flags"): AUDITOR,
    ("GET", "/audit/export.csv"): AUDITOR, ("GET", "/audit/export.json"): AUDITOR,
    ("GET", "/manifest.webmanifest"): PUBLIC,
    ("GET", "/sw.js"): PUBLIC,
    ("GET", "/offline"): PUBLIC,
    ("GET", "/outbox"): PUBLIC,  # devstack only; 404 on every other stage
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/csrf"): PUBLIC,
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/me"): ANY,
    ("POST", "/api/accounts"): PUBLIC,
    ("POST", "/api/accounts/confirm"): PUBLIC,
    ("POST", "/api/session"): PUBLIC,
    ("DELETE", "/api/session"): ANY,
    ("POST", "/api/session/mfa"): ANY,
    ("GET", "/api/me/activity"): ANY,
    ("GET", "/api/me/sessions"): ANY,
    ("DELETE", "/api/me/sessions/<public_id>"): ANY,
    ("POST", "/api/invitations"): ADMIN,
    ("GET", "/api/audit/events"): AUDITOR,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/static/<digest:digest>/<path:filename>"): PUBLIC,
    ("GET", "/vendor/<package>/<path:filename>"): PUBLIC,
    ("GET", "/vendor/<package>/<version:version>/<path:filename>"): PUBLIC,
    ("GET", "/cameras"): OWNERS,
    ("GET", "/cameras/new"): OWNERS,
    ("POST", "/cameras/new"): OWNERS,
    ("GET", "/cameras/<camera_id>/edit"): OWNERS,
    ("POST", "/cameras/<camera_id>/edit"): OWNERS,
    ("POST", "/cameras/<camera_id>/pause"): OWNERS,
    ("POST", "/cameras/<camera_id>/masks"): OWNERS,
    ("POST", "/cameras/<camera_id>/confirm"): OWNERS,
    ("POST", "/cameras/<camera_id>/withdraw"): OWNERS,
    ("GET", "/api/cameras"): OWNERS,
    ("POST", "/api/cameras"): OWNERS,
    ("GET", "/api/cameras/<camera_id>"): OWNERS,
    ("PUT", "/api/cameras/<camera_id>"): OWNERS,
    ("DELETE", "/api/cameras/<camera_id>"): OWNERS,
    ("PUT", "/api/cameras/<camera_id>/paused"): OWNERS,
    ("POST", "/api/cameras/<camera_id>/confirm"): OWNERS,
    ("POST", "/api/cameras/<camera_id>/photo-upload"): OWNERS,
    ("PUT", "/api/cameras/<camera_id>/photo"): OWNERS,
    ("GET", "/search"): SEARCHERS,
    ("POST", "/search"): SEARCHERS,
    ("POST", "/api/search"): SEARCHERS,
    ("GET", "/cameras/import"): {"org_admin", "agency_admin"},
    ("POST", "/cameras/import"): {"org_admin", "agency_admin"},
    ("GET", "/cameras/import/template.csv"): {"org_admin", "agency_admin"},
    ("POST", "/api/cameras/import"): {"org_admin", "agency_admin"},
    ("GET", "/org"): OWNERS,
    ("POST", "/org"): OWNERS,
    ("POST", "/org/invitations"): {"org_admin"},
    ("GET", "/org/join/<token>"): OWNERS,
    ("POST", "/org/join/<token>"): OWNERS,
    ("POST", "/org/cameras/<camera_id>/hand-over"): {"org_admin"},
    ("GET", "/map"): SEARCHERS,
    ("GET", "/api/map"): SEARCHERS,
    ("GET", "/map/tiles.pmtiles"): ANY,  # the program's own map, for every map in the app
    ("GET", "/map/streets.geojson"): ANY,
    ("GET", "/map/protomaps-leaflet-5.1.0.js"): PUBLIC,
    ("POST", "/api/geocode"): SEARCHERS,
    ("PUT", "/api/ingest/<feed>"): PUBLIC,  # an agency API key, not a session, opens it
    ("GET", "/admin/api-keys"): ADMIN,
    ("POST", "/admin/api-keys"): ADMIN,
    ("POST", "/admin/api-keys/<public_id>/revoke"): ADMIN,
    ("GET", "/api/registry.geojson"): {"detective", "supervisor", "agency_admin"},
    ("GET", "/share"): OWNERS,
    ("POST", "/share"): OWNERS,
    ("POST", "/share/<share_id>/end"): OWNERS,
    ("POST", "/api/shares"): OWNERS,
    ("GET", "/api/shares/<share_id>"): OWNERS,
    ("DELETE", "/api/shares/<share_id>"): OWNERS,
    ("POST", "/api/bridge/shares"): PUBLIC,  # the bridge's device credential opens it
    ("POST", "/api/shares/<share_id>/phone"): OWNERS,
    ("POST", "/api/shares/<share_id>/phone/<name>/done"): OWNERS,
    ("POST", "/api/bridge/shares/<share_id>/segments"): PUBLIC,  # device credential
    ("POST", "/api/bridge/shares/<share_id>/segments/<camera_id>/<name>/done"): PUBLIC,
    ("POST", "/api/bridge/targets/<target_id>/clip"): PUBLIC,  # device credential
    ("POST", "/api/bridge/targets/<target_id>/clip/done"): PUBLIC,
    ("POST", "/api/bridge/targets/<target_id>/unavailable"): PUBLIC,
    ("GET", "/live"): SEARCHERS,
    ("GET", "/transparency/checkpoints.json"): PUBLIC,
    ("GET", "/transparency"): PUBLIC,
    ("POST", "/language"): PUBLIC,  # the language switch (CSRF like every form)
    ("GET", "/transparency.csv"): PUBLIC,
    ("GET", "/live/<share_id>"): SEARCHERS,
    ("GET", "/api/live/<share_id>/pieces"): SEARCHERS,
    ("POST", "/api/live/<share_id>/quality"): SEARCHERS,
    ("GET", "/api/live"): SEARCHERS,
    ("POST", "/api/live/<share_id>/view"): SEARCHERS,
    ("POST", "/api/live/<share_id>/leave"): SEARCHERS,
    ("POST", "/live/<share_id>/leave"): SEARCHERS,
    ("GET", "/incidents"): SEARCHERS,
    ("POST", "/incidents"): SEARCHERS,
    ("GET", "/incidents/<incident_id>"): SEARCHERS,
    ("POST", "/incidents/<incident_id>/close"): SEARCHERS,
    ("GET", "/api/incidents"): SEARCHERS,
    ("POST", "/api/incidents"): SEARCHERS,
    ("GET", "/api/incidents/<incident_id>"): SEARCHERS,
    ("POST", "/api/incidents/<incident_id>/watch"): SEARCHERS,
    ("POST", "/api/incidents/<incident_id>/close"): SEARCHERS,
    ("POST", "/api/incidents/<incident_id>/ask"): SEARCHERS,
    ("POST", "/api/incidents/<incident_id>/pull"): SEARCHERS,
    ("GET", "/api/incidents/<incident_id>/recipients"): SEARCHERS,
    ("POST", "/api/incidents/<incident_id>/bulletins"): SEARCHERS,
    ("GET", "/api/bulletins"): BULLETIN_READERS,
    ("GET", "/bulletins"): BULLETIN_READERS,
    ("GET", "/bulletins/<bulletin_id>"): BULLETIN_READERS,
    ("GET", "/bulletins/<bulletin_id>/still"): BULLETIN_READERS,
    ("POST", "/api/asks/answer"): PUBLIC,  # a notification button's single-use token
    ("GET", "/asks/<ask_id>"): OWNERS,
    ("POST", "/asks/<ask_id>"): OWNERS,
    ("GET", "/bridges"): OWNERS | ADMIN,  # the agency admin: the agency's street cameras
    ("POST", "/bridges/code"): OWNERS | ADMIN,
    ("POST", "/bridges/<device_id>/revoke"): OWNERS | ADMIN,
    ("POST", "/bridges/<device_id>/scan"): OWNERS | ADMIN,
    ("POST", "/bridges/<device_id>/setups"): OWNERS | ADMIN,
    ("POST", "/bridges/<device_id>/setups/<order_id>"): OWNERS | ADMIN,
    ("POST", "/bridges/<device_id>/cap"): OWNERS | ADMIN,
    ("POST", "/api/bridge/found"): PUBLIC,  # the bridge's device credential opens it
    ("POST", "/api/bridge/setups/<order_id>"): PUBLIC,  # device credential
    ("POST", "/api/bridge/pair"): PUBLIC,  # the one-time code from the owner's app opens it
    ("GET", "/api/bridge/state"): PUBLIC,  # the bridge's device credential opens it
    ("GET", "/admin/policy"): ADMIN,
    ("POST", "/admin/policy"): ADMIN,
    ("GET", "/cases"): SEARCHERS,
    ("GET", "/cases/new"): {"detective"},
    ("POST", "/cases/new"): {"detective"},
    ("GET", "/cases/<request_id>"): SEARCHERS,
    ("POST", "/cases/<request_id>/decision"): {"supervisor"},
    ("GET", "/requests"): OWNERS,
    ("GET", "/requests/<target_id>"): OWNERS,
    ("POST", "/requests/<target_id>/answer"): OWNERS,
    ("POST", "/api/requests"): {"detective"},
    ("GET", "/api/requests/<request_id>"): SEARCHERS,
    ("POST", "/api/requests/<request_id>/decision"): {"supervisor"},
    ("POST", "/api/evidence/<target_id>/<kind>"): SEARCHERS,
    ("PUT", "/api/evidence/<target_id>/hold"): {"supervisor"},
    ("GET", "/api/targets/<target_id>"): OWNERS,
    ("POST", "/api/targets/<target_id>/answer"): OWNERS,
    ("GET", "/api/targets/<target_id>/upload"): OWNERS,
    ("POST", "/api/targets/<target_id>/upload"): OWNERS,
    ("POST", "/api/targets/<target_id>/upload/parts"): OWNERS,
    ("POST", "/api/targets/<target_id>/upload/complete"): OWNERS,
    ("POST", "/api/answers"): PUBLIC,  # a signed single-use token from a notification opens it
    ("GET", "/api/push/key"): ANY,
    ("POST", "/api/push/subscriptions"): ANY,
    ("DELETE", "/api/push/subscriptions"): ANY,
}


def allowed(rule: Any, role: str | None) -> bool:
    if rule == PUBLIC:
        return True
    if role is None:
        return False
    return rule == ANY or role in rule
