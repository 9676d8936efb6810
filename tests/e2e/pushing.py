"""Web Push in Chromium without a push service: deliver a payload to the app's service worker
through CDP, read the notifications it shows, and tap one of their buttons in the worker
(tests/e2e/test_push_notifications.py says why a tap is made this way)."""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import BrowserContext, CDPSession, Page, Worker

from tests.e2e.helpers import TIMEOUT_MS

POLL_MS = 100

SHOWN_IN_PAGE = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return (await registration.getNotifications()).map((n) => ({
    title: n.title, body: n.body, tag: n.tag, data: n.data,
    requireInteraction: n.requireInteraction,
    actions: n.actions.map((a) => ({ action: a.action, title: a.title })),
  }));
}"""

# A tap on a notification's button, in the service worker, as Chromium would dispatch it; see
# test_approve_and_decline_with_the_app_closed for the two things a script cannot do alike.
CLICK_IN_WORKER = """async ({ tag, action }) => {
  const [notification] = await self.registration.getNotifications({ tag });
  if (!notification) return { found: false };
  const event = new NotificationEvent('notificationclick', { notification, action });
  const waits = [];
  const refused = [];
  const ownWaitUntil = event.waitUntil;
  Object.defineProperty(event, 'waitUntil', { value: (promise) => {
    waits.push(promise);
    try { ownWaitUntil.call(event, promise); } catch (err) { refused.push(err.name); }
  } });
  const opened = [];
  self.clients.openWindow = async (url) => { opened.push(url); return null; };
  try {
    self.dispatchEvent(event);
    const settled = await Promise.allSettled(waits);
    return {
      found: true, waited: waits.length, refused, opened,
      failures: settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason)),
      left: (await self.registration.getNotifications({ tag }))
        .map((n) => ({ title: n.title, body: n.body, actions: n.actions.length })),
    };
  } finally {
    delete self.clients.openWindow;  // the prototype's again
  }
}"""


def deliver_pushes(page: Page, base_url: str, payloads: list[dict[str, Any]]) -> CDPSession:
    """Hand the worker push messages through CDP, as if the push service had sent them.

    Returns the CDP session still attached: detach it only once the notifications are shown
    (the push events are dispatched after deliverPushMessage has answered).
    """
    cdp = page.context.new_cdp_session(page)
    found: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: found.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    scope = base_url + "/"
    for _ in range(TIMEOUT_MS // POLL_MS):
        ids = [r["registrationId"] for r in found
               if r["scopeURL"] == scope and not r["isDeleted"]]
        if ids:
            break
        page.wait_for_timeout(POLL_MS)  # not time.sleep: Playwright delivers CDP events here
    else:
        raise AssertionError(f"no service worker registration for {scope}: {found}")
    for payload in payloads:
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": base_url, "registrationId": ids[-1], "data": json.dumps(payload)})
    return cdp


def deliver_until_shown(page: Page, base_url: str, payload: dict[str, Any], tag: str,
                        attempts: int = 3) -> CDPSession:
    """Deliver one push and wait for its notification; on a loaded machine Chromium sometimes
    drops a CDP-delivered push before the worker sees it (a real push service would redeliver
    too), so try again, at most `attempts` times, before failing."""
    for attempt in range(attempts):
        cdp = deliver_pushes(page, base_url, [payload])
        for _ in range(5000 // POLL_MS):
            if any(shown["tag"] == tag for shown in page.evaluate(SHOWN_IN_PAGE)):
                return cdp
            page.wait_for_timeout(POLL_MS)
        if attempt < attempts - 1:
            cdp.detach()
    raise AssertionError(f"no notification tagged {tag} after {attempts} deliveries; "
                         f"shown: {page.evaluate(SHOWN_IN_PAGE)}")


def wait_shown(page: Page, tag: str) -> dict[str, Any]:
    for _ in range(TIMEOUT_MS // POLL_MS):
        for shown in page.evaluate(SHOWN_IN_PAGE):
            if shown["tag"] == tag:
                return dict(shown)
        page.wait_for_timeout(POLL_MS)
    raise AssertionError(f"no notification tagged {tag}; shown: {page.evaluate(SHOWN_IN_PAGE)}")


def app_worker(context: BrowserContext, base_url: str) -> Worker:
    """The app's service worker, with no page open."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for worker in context.service_workers:
            if worker.url.startswith(base_url + "/sw.js"):
                return worker
        context.wait_for_event("serviceworker", timeout=TIMEOUT_MS)
    raise AssertionError(f"no service worker for {base_url}")


