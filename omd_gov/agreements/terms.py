"""The parts of an agreement the transparency register asks for (issue 8):
economic terms, exclusivity, and each party's contact person and data
protection officer (personal data: shown in the DSA, never in the register).
Each part is loaded whole, even inside a partial ``PATCH``: it replaces the
stored part, so its required fields stay required.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Email, Integer, String
from apiflask.validators import Length, OneOf, Range, Regexp
from babel.numbers import list_currencies
from marshmallow import ValidationError, post_load, validates_schema
from marshmallow.fields import Decimal as DecimalField

PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,28}[0-9]$")
CURRENCIES = frozenset(code for code in list_currencies() if re.fullmatch(r"[A-Z]{3}", code))
CENTS = Decimal("0.01")


class WholeSchema(Schema):
    """A part loaded whole even inside a partial ``PATCH``: it replaces the
    stored part, so its required fields stay required."""

    def load(self, data: Any, *, many: Any = None, partial: Any = None, unknown: Any = None) -> Any:
        return super().load(data, many=many, partial=False, unknown=unknown)


class ContactIn(WholeSchema):
    """A contact person: personal data, shown in the DSA, never in the register."""

    name = String(required=True, validate=Length(1, 200))
    email = Email(required=True, validate=Length(max=254))
    phone = String(
        required=True, validate=Regexp(PHONE, error="a phone number, e.g. +34 912 345 678")
    )


class DpoIn(ContactIn):
    """A data protection officer's contact; many publish no phone."""

    phone = String(
        load_default=None,
        allow_none=True,
        validate=Regexp(PHONE, error="a phone number, e.g. +34 912 345 678"),
    )


def _amount_places(value: Decimal) -> None:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValidationError("at most two decimal places")


def _amount(*, required: bool) -> DecimalField:
    return DecimalField(
        required=required,
        allow_none=not required,
        validate=[Range(min=0, max=10**13, max_inclusive=False), _amount_places],
        # The bounds as JSON numbers: apispec would write a Decimal's as strings.
        metadata={
            "minimum": 0,
            "maximum": 9999999999999.99,
            "description": "a non-negative amount with at most two decimals, as a "
            "string or a number",
        },
    )


class EconomicTermsIn(WholeSchema):
    """Money the agreement moves; amounts are answered as decimal strings."""

    currency = String(
        required=True,
        validate=OneOf(sorted(CURRENCIES), error="an ISO 4217 currency code, e.g. EUR"),
    )
    # Null or left out: a one-off payment, with no yearly amount.
    amount_per_annuity = _amount(required=False)
    total_amount = _amount(required=True)
    budget_line = String(required=True, validate=Length(1, 200))

    @post_load
    def _amounts_as_text(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """Stored and answered as exact text with two decimals ("1200.50")."""
        for key in ("amount_per_annuity", "total_amount"):
            value = data.get(key)
            data[key] = None if value is None else str(value.quantize(CENTS))
        return data


class ExclusivityIn(WholeSchema):
    exclusive = Boolean(required=True)
    justification = String(allow_none=True, validate=Length(max=5000))
    period_months = Integer(allow_none=True, validate=Range(1, 120))

    @validates_schema
    def _justified(self, data: dict[str, Any], **_kwargs: Any) -> None:
        terms = ("justification", "period_months")
        if data["exclusive"]:
            missing = {key: ["required for an exclusive arrangement"] for key in terms
                       if not str(data.get(key) or "").strip()}  # fmt: skip
        else:
            missing = {key: ["only an exclusive arrangement has one"] for key in terms
                       if data.get(key) not in (None, "")}  # fmt: skip
        if missing:
            raise ValidationError(missing)


class ContactOut(Schema):
    name = String()
    email = String()
    phone = String(allow_none=True)


class EconomicTermsOut(Schema):
    currency = String()
    amount_per_annuity = String(allow_none=True)
    total_amount = String()
    budget_line = String()


class ExclusivityOut(Schema):
    exclusive = Boolean()
    justification = String(allow_none=True)
    period_months = Integer(allow_none=True)
