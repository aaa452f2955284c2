"""The outcome form and the grant form."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from app.regions import REGION_CHOICES
from app.web.forms import MoneyField


class DayField(StringField):
    """A date typed or picked as ``YYYY-MM-DD``; ``02/11/2020`` is refused (day or month first is a guess)."""

    def __init__(self, label=None, validators=None, *, required: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.day: date | None = None

    def pre_validate(self, form) -> None:
        self.day = None
        text = (self.data or "").strip()
        if not text:
            if self.required:
                raise ValidationError(f"Enter the {self.label.text.lower()}.")
            return
        try:
            self.day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            self.day = None
        if self.day is None:
            raise ValidationError("Enter the date as year-month-day, for example 2027-01-15.")

    def __call__(self, **kwargs):
        kwargs.setdefault("type", "date")
        return super().__call__(**kwargs)


class OutcomeForm(FlaskForm):
    result = RadioField(
        "What was the outcome?",
        choices=[
            SelectChoice("won", "Won: the funder awarded the bid"),
            SelectChoice("lost", "Lost: the funder turned it down"),
            SelectChoice("withdrawn", "Withdrawn: the consortium withdrew the bid"),
        ],
        validators=[InputRequired("Choose won, lost or withdrawn.")],
    )
    amount_awarded = MoneyField("Amount awarded", required=False, description="Won only. In pounds, e.g. £5,000,000.")
    award_date = DayField("Award date", description="Won only.")
    grant_reference = StringField("The funder's grant reference", description="Won only.")
    conditions = TextAreaField("Conditions", description="Won only: the conditions of the award.")
    spend_by = DayField("Spend-by date", description="Won only: the money must be spent by this date.")
    grants_due_by = DayField(
        "Grants due by", description="Won only: members who have recorded no grants by this date are reminded once."
    )
    reason = TextAreaField("Reason", description="Lost or withdrawn: optional.")
    feedback = TextAreaField("Funder's feedback", description="Lost: optional.")
    version = HiddenField()


class GrantImportForm(FlaskForm):
    file = FileField("Upload a CSV or XLSX file", description="A header row naming the columns (see below).")
    rows = TextAreaField("Or paste the rows", description="Straight from a spreadsheet, with the header row.")


class GrantForm(FlaskForm):
    recipient_name = StringField("Recipient organisation")
    recipient_charity_number = StringField("Charity number", description="If it has one, e.g. 1234567 or SC012345.")
    recipient_company_number = StringField("Company number", description="If it has one; keep leading zeros.")
    recipient_identifier = StringField("Other org-id", description="If it has another, e.g. GB-MPR-12345R.")
    amount = MoneyField("Amount granted", description="In pounds, e.g. £5,000.")
    funder_amount = MoneyField(
        "Of which the funder's money", required=False, description="Leave blank if all of it is your match funding."
    )
    award_date = DayField("Award date", required=True)
    title = StringField("Title of the grant")
    description = TextAreaField("Purpose", description="What the grant is for. Published: no names or contact details.")
    planned_start = DayField("Planned start")
    planned_end = DayField("Planned end")
    location_name = StringField("Local authority", description="Where the people who benefit are, e.g. Manchester.")
    location_gss = StringField("Its ONS GSS code", description="Optional, e.g. E08000003.")
    region = SelectField(
        "Region", choices=[SelectChoice("", "Not given"), *(SelectChoice(code, name) for code, name in REGION_CHOICES)]
    )
    version = HiddenField()

    def values(self) -> dict:
        return {
            "recipient_name": self.recipient_name.data,
            "recipient_charity_number": self.recipient_charity_number.data,
            "recipient_company_number": self.recipient_company_number.data,
            "recipient_identifier": self.recipient_identifier.data,
            "amount_pence": self.amount.pence,
            "funder_pence": self.funder_amount.pence if self.funder_amount.data else 0,
            "match_pence": None,
            "award_date": self.award_date.day,
            "title": self.title.data,
            "description": self.description.data,
            "planned_start": self.planned_start.day,
            "planned_end": self.planned_end.day,
            "location_name": self.location_name.data,
            "location_gss": self.location_gss.data,
            "region": self.region.data or None,
        }
