"""The program's public pages (policy text and FAQ, every version kept) and feedback."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from app.models.base import BaseModel


class ProgramPage(BaseModel):
    """One version of an agency's public program page; a new save is a new version."""

    base_name = "program-pages"

    class Meta:
        table_name = "program-pages"

    agency_id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(range_key=True)
    policy_text = UnicodeAttribute()
    faq = UnicodeAttribute()  # JSON list of {"q", "a"}
    note = UnicodeAttribute(default="")  # what changed, in the admin's words
    edited_by = UnicodeAttribute()  # the admin's name, shown in the history
    edited_at = UTCDateTimeAttribute()


class Feedback(BaseModel):
    """A message to the agency's admins from anyone: resident, owner or officer."""

    base_name = "feedback"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "feedback"

    agency_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)
    message = UnicodeAttribute()
    reply_to = UnicodeAttribute(null=True)  # an email address, only when the sender gave one
    user_id = UnicodeAttribute(null=True)
    expires_epoch = NumberAttribute()  # kept two years
