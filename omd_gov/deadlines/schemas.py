"""Request and response shapes for deadlines, the policy and the calendar."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import ValidationError, validates_schema

from omd_gov.api_contract import IdField
from omd_gov.deadlines.calendar import MAX_BUSINESS_DAYS
from omd_gov.deadlines.models import DEADLINE_KINDS

# How a deadline is assigned to a user: "named" (to them by name), "queue" (to
# their team, and nobody has claimed it yet) or "any" (either).
ASSIGNMENTS = ("any", "named", "queue")


class DeadlineQuery(Schema):
    assignee = String(
        validate=Regexp(r"^(me|[1-9][0-9]{0,8})$", error="'me' or a user id"),
        metadata={"description": "'me' or a user id: deadlines that user must act on"},
    )
    assignment = String(
        load_default="any",
        validate=OneOf(ASSIGNMENTS),
        metadata={"description": "with assignee: 'named' (to that user by name), 'queue' "
                  "(to their role's queue, unclaimed) or 'any'"},
    )  # fmt: skip
    due_before = Date(metadata={"description": "only deadlines due before this day"})
    overdue = Boolean(metadata={"description": "true: open and past due; false: the others"})
    status = String(load_default="open", validate=OneOf(("open", "closed", "all")))
    kind = String(validate=OneOf(DEADLINE_KINDS))
    agreement_id = IdField()
    page = Integer(load_default=1, validate=Range(min=1, max=100000))
    per_page = Integer(load_default=50, validate=Range(1, 200))
    cursor = String(
        validate=Length(1, 500),
        metadata={"description": "start after this cursor (a page's next_cursor) instead of "
                  "at a page number: as fast on the last page as on the first"},
    )  # fmt: skip


class DeadlineOut(Schema):
    id = Integer()
    agreement_id = Integer()
    agreement_reference = String()
    kind = String()
    party_id = Integer(allow_none=True)
    assignee_id = Integer(allow_none=True)
    assignee_role = String(allow_none=True)
    assignee_organization_id = Integer(allow_none=True)
    starts_on = Date()
    due_on = Date()
    status = String()
    close_reason = String(allow_none=True)
    closed_at = DateTime(allow_none=True)
    revision = Integer()
    overdue = Boolean()


class ReminderOut(Schema):
    kind = String()
    step = String()
    scheduled_for = DateTime()
    status = String()


class DeadlineDetail(DeadlineOut):
    reminders = List(Nested(ReminderOut))


class DeadlinePage(Schema):
    items = List(Nested(DeadlineOut))
    page = Integer()
    per_page = Integer()
    has_next = Boolean()
    next_cursor = String(
        allow_none=True,
        metadata={"description": "the cursor of the next page; null on the last one"},
    )


class DeadlinePatch(Schema):
    due_on = Date(metadata={"description": "move the deadline (today or later)"})
    assignee_id = IdField(metadata={"description": "assign one user"})
    comment = String(load_default="", validate=Length(max=2000))

    @validates_schema
    def _something(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "due_on" not in data and "assignee_id" not in data:
            raise ValidationError("give due_on and/or assignee_id", "due_on")


class CompleteIn(Schema):
    comment = String(load_default="", validate=Length(max=2000))


class PolicyOut(Schema):
    kind = String()
    due_business_days = Integer(allow_none=True)
    remind_before_business_days = List(Integer())
    remind_every_business_days = Integer(allow_none=True)
    escalate_after_business_days = Integer(allow_none=True)
    notice_days_before = List(Integer())
    notify_on_start = Boolean()
    review_every_months = Integer(allow_none=True)


_DAYS = Range(0, 250)


class PolicyPatch(Schema):
    due_business_days = Integer(allow_none=True, validate=Range(1, 250))
    remind_before_business_days = List(Integer(validate=_DAYS), validate=Length(max=10))
    remind_every_business_days = Integer(allow_none=True, validate=Range(1, 250))
    escalate_after_business_days = Integer(allow_none=True, validate=_DAYS)
    notice_days_before = List(Integer(validate=Range(0, 3650)), validate=Length(max=10))
    notify_on_start = Boolean()
    review_every_months = Integer(allow_none=True, validate=Range(1, 120))


class HolidayQuery(Schema):
    year = Integer(validate=Range(1900, 2200))


class HolidayIn(Schema):
    date = Date(required=True)
    name = String(required=True, validate=Length(1, 200))
    kind = String(load_default="holiday", validate=OneOf(("holiday", "closure")))


class HolidayOut(Schema):
    id = Integer(allow_none=True)
    date = Date()
    name = String()
    kind = String()
    source = String(metadata={"description": "official (holidays package) or municipal"})


class HolidayCreated(HolidayOut):
    """A newly added municipal day (its own name in the OpenAPI document)."""


class HolidayList(Schema):
    country = String()
    subdiv = String(allow_none=True)
    year = Integer()
    items = List(Nested(HolidayOut))


class BusinessDaysQuery(Schema):
    start = Date(required=True, data_key="from")
    n = Integer(required=True, validate=Range(-MAX_BUSINESS_DAYS, MAX_BUSINESS_DAYS))


class SkippedDay(Schema):
    date = Date()
    name = String()


class BusinessDaysOut(Schema):
    start = Date(data_key="from")
    n = Integer()
    date = Date()
    country = String()
    subdiv = String(allow_none=True)
    skipped = List(Nested(SkippedDay))


class FeedTokenOut(Schema):
    token = String(metadata={"description": "shown once; only its hash is stored"})
    url = String()
