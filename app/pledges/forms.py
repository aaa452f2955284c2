"""The pledge form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from app.web.forms import MoneyField, RegionsField, WholeNumberField


class PledgeForm(FlaskForm):
    amount = MoneyField("Amount of match funding", description="In pounds, for example £250,000.")
    homes = WholeNumberField(
        "Homes covered",
        invalid="Enter the number of homes as a whole number, for example 12400.",
        description="How many of your homes the pledge covers.",
        validators=[
            InputRequired("Enter the number of homes as a whole number, for example 12400."),
            NumberRange(min=0, message="The number of homes cannot be negative."),
        ],
    )
    regions = RegionsField("Regions the pledge covers")
    statement = TextAreaField(
        "How the money will be used", description="Up to 5,000 characters. It goes into the bid pack the funder reads."
    )
    status = RadioField(
        "Is the pledge confirmed?",
        choices=[
            SelectChoice("indicative", "Indicative: we intend to pledge this, subject to approval"),
            SelectChoice("confirmed", "Confirmed: approved by our board"),
        ],
        validators=[InputRequired("Say whether the pledge is indicative or confirmed.")],
    )
    accept_terms = BooleanField("I accept the terms of the bid on behalf of my organisation")
    version = HiddenField()


class WithdrawForm(FlaskForm):
    version = HiddenField()
