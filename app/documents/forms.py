"""Forms on the bid pack page."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class FunderLinkForm(FlaskForm):
    name = StringField(
        "Name of the person at the funder",
        validators=[DataRequired("Enter the name of the person at the funder."), Length(max=200)],
    )
    email = EmailField(
        "Their email address",
        description="The link is sent here. It is private to this person and expires after {days} days.",
        validators=[DataRequired("Enter their email address."), Length(max=254)],
    )
    version = SelectField("Version of the bid pack", coerce=int, validate_choice=False)
