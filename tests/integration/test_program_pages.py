"""The program's public page: the agency admin writes the policy and FAQ, every version stays
readable; anyone's feedback reaches the agency's admins by email and on their list."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support import Client, form_token, make_user, session_client, wait_for_mail


def save(admin: Client, policy: str, note: str, qa: list[tuple[str, str]]) -> Any:
    page = admin.get("/admin/program")
    version = page.text.split('name="version" value="')[1].split('"')[0]
    data: dict[str, Any] = {"policy_text": policy, "note": note, "version": version,
                            "q": [q for q, _ in qa], "a": [a for _, a in qa]}
    return admin.post_form("/admin/program", data, token=form_token(page.text))


def test_the_admin_writes_versions_everyone_reads_them(base_url: str, settings: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = session_client(base_url, settings, make_user("agency_admin"))
    first = save(admin, f"Police never watch a camera {tag} without the owner.\n\nSecond "
                 "paragraph.", "first", [("Is it <b>safe</b>?", "Yes.")])
    assert first.status_code == 302, first.text
    second = save(admin, f"Version two {tag}.", "clearer words", [("Who sees?", "You choose.")])
    assert second.status_code == 302, second.text

    public = Client(base_url)
    page = public.get("/program?program=demo-metro")
    assert f"Version two {tag}." in page.text and "Who sees?" in page.text
    history = public.get("/program/history?program=demo-metro").text
    assert "clearer words" in history and "first" in history
    number = int(history.split("/program/history/")[1].split("?")[0])
    old = public.get(f"/program/history/{number - 1}?program=demo-metro").text
    assert f"Police never watch a camera {tag}" in old
    assert "Is it &lt;b&gt;safe&lt;/b&gt;?" in old and "<b>safe</b>" not in old

    stale = admin.get("/admin/program")
    racing = admin.post_form("/admin/program", {
        "policy_text": "late", "version": "0", "q": [], "a": []}, token=form_token(stale.text))
    assert racing.status_code == 409 and "Reload" in racing.text
    empty = save(admin, "   ", "", [])
    assert empty.status_code == 422
    unanswered = save(admin, "Fine.", "", [("A question?", "")])
    assert unanswered.status_code == 422 and "needs an answer" in unanswered.text


def test_feedback_reaches_the_admins(base_url: str, settings: Any) -> None:
    admin_account = make_user("agency_admin")
    admin = session_client(base_url, settings, admin_account)
    public = Client(base_url)
    form = public.get("/program/feedback?program=demo-metro")
    tag = uuid.uuid4().hex[:8]
    sent = public.post_form("/program/feedback?program=demo-metro", {
        "message": f"Why is the camera on 5th {tag} in the program?",
        "reply_to": "resident@example.org"}, token=form_token(form.text))
    assert sent.status_code == 302, sent.text
    mail = wait_for_mail(admin_account.email, "Feedback about the camera program")
    assert tag in mail.text and "resident@example.org" in mail.text
    assert tag in admin.get("/admin/feedback").text
    empty = public.post_form("/program/feedback?program=demo-metro", {"message": " "},
                             token=form_token(form.text))
    assert empty.status_code == 422 and "Write your message" in empty.text
    owner, _ = make_user("owner"), None
    assert session_client(base_url, settings, owner).get("/admin/feedback").status_code == 403


def test_a_page_too_big_to_store_says_so_and_keeps_the_last_version(
        base_url: str, settings: Any) -> None:
    """DynamoDB holds 400 KB an item; a policy and FAQ within their character limits can pass
    that in emoji (4 bytes each). The form posts multipart (raw UTF-8, under the 1 MB body
    limit), so the admin hears what is too big, not that someone else saved first."""
    tag = uuid.uuid4().hex[:6]
    admin = session_client(base_url, settings, make_user("agency_admin"))
    assert save(admin, f"Kept {tag}.", "kept", [("Q?", "A.")]).status_code == 302
    page = admin.get("/admin/program")
    version = page.text.split('name="version" value="')[1].split('"')[0]
    fields = [("csrf_token", form_token(page.text)), ("version", version), ("note", "huge"),
              ("policy_text", "\U0001F6A8" * 19_000)]
    for n in range(30):
        fields += [("q", f"Question {n} " + "\U0001F4F7" * 250), ("a", "\U0001F3E0" * 2_990)]
    answer = admin.http.post(base_url + "/admin/program", files=[(k, (None, v)) for k, v in fields],
                             allow_redirects=False, timeout=30)
    assert answer.status_code == 422, answer.text[:500]
    assert "too big to save" in answer.text and "400 KB" in answer.text
    assert "the same moment" not in answer.text
    assert f"Kept {tag}." in Client(base_url).get("/program?program=demo-metro").text
