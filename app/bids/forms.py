"""Bid forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectChoice, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.services.bid_copy import INVITE
from app.web.forms import MoneyField, WholeNumberField

POUNDS_HINT = "In pounds, for example £250,000."


class BidForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter the title."), Length(max=200)])
    funder_name = StringField(
        "Funder",
        description="The organisation running the scheme.",
        validators=[DataRequired("Enter the funder's name."), Length(max=200)],
    )
    scheme = StringField("Scheme name", validators=[DataRequired("Enter the scheme name."), Length(max=200)])
    summary = TextAreaField(
        "The case for the bid",
        description="Why this consortium should be funded. It opens the bid pack.",
        validators=[Length(max=20000)],
    )
    target = MoneyField("Target match funding", description=POUNDS_HINT)
    target_homes = WholeNumberField(
        "Target homes covered",
        invalid="Enter the target number of homes as a whole number.",
        validators=[
            InputRequired("Enter the target number of homes as a whole number."),
            NumberRange(min=0, message="The number of homes cannot be negative."),
        ],
    )
    min_pledge = MoneyField("Minimum pledge (optional)", description=POUNDS_HINT, required=False)
    min_total = MoneyField(
        "Scheme minimum total (optional)",
        description="The least the consortium must pledge for the bid to be eligible. " + POUNDS_HINT,
        required=False,
    )
    min_members = WholeNumberField(
        "Scheme minimum number of members (optional)",
        invalid="Enter the minimum number of members as a whole number.",
        validators=[Optional(), NumberRange(min=1, message="Enter at least 1.")],
    )
    terms = TextAreaField("Terms members must accept", validators=[Length(max=20000)])
    deadline_date = DateField("Deadline date", validators=[DataRequired("Enter the deadline date.")])
    deadline_time = TimeField(
        "Deadline time (UK time)",
        description="For example 17:00.",
        validators=[DataRequired("Enter the deadline time.")],
    )
    show_amounts = BooleanField("Show each organisation's amount to the other members")
    grace_minutes = WholeNumberField(
        "Grace window after the deadline, in minutes (optional)",
        invalid="Enter the grace window as a whole number of minutes.",
        description="Members who had started can still save during it. 0 for none.",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=1440, message="Enter between 0 and 1,440 minutes.")],
    )


class ExtendForm(FlaskForm):
    deadline_date = DateField("New deadline date", validators=[DataRequired("Enter the new deadline date.")])
    deadline_time = TimeField("New deadline time (UK time)", validators=[DataRequired("Enter the new deadline time.")])


class CopyForm(FlaskForm):
    title = StringField(
        "Title of the new bid", validators=[Length(max=200, message="Keep the title to 200 characters.")]
    )
    deadline_date = DateField("Deadline date", validators=[DataRequired("Enter the new bid's deadline date.")])
    deadline_time = TimeField(
        "Deadline time (UK time)", validators=[DataRequired("Enter the new bid's deadline time.")]
    )
    invite = RadioField(
        "Invite to the new bid", choices=[SelectChoice(k, label) for k, label in INVITE.items()], default="none"
    )
