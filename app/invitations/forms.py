"""Invitation forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.web.forms import RegionsField, WholeNumberField


class InviteForm(FlaskForm):
    organisation_name = StringField(
        "Organisation name", validators=[DataRequired("Enter the organisation's name."), Length(max=200)]
    )
    email = EmailField(
        "Contact email", validators=[DataRequired("Enter the contact's email address."), Length(max=254)]
    )
    message = TextAreaField(
        "Personal message (optional)",
        description="Goes at the top of the invitation email, with your name as their contact. Up to 2,000 characters.",
    )


class BulkInviteForm(FlaskForm):
    rows = TextAreaField(
        "Paste a list",
        description="One organisation per line: organisation name, contact "
        "email. You can paste two columns straight from a spreadsheet.",
    )
    file = FileField(
        "Or upload a CSV or XLSX file",
        description="Two columns: organisation name, contact email. CSV (UTF-8 or Windows-1252, "
        "comma, semicolon or tab separated) or an Excel workbook (.xlsx, first sheet).",
    )
    message = TextAreaField(
        "Personal message (optional)",
        description="Goes at the top of every invitation email, with your name as their contact. "
        "Up to 2,000 characters.",
    )


class AcceptForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=200)])
    password = PasswordField(
        "Choose a password",
        description="At least 10 characters; not a common password.",
        validators=[DataRequired("Choose a password.")],
    )
    #: only when the invited name matches an organisation already registered that the convenor has not worked with
    joining = RadioField(
        "Which organisation are you from?",
        choices=[
            SelectChoice("request", "That one: ask its managers to let me join"),
            SelectChoice("new", "A different organisation"),
        ],
        default="request",
        validate_choice=False,
    )
    org_name = StringField("Organisation name", validators=[Length(max=200)])
    identifier = StringField(
        "Organisation identifier (optional)",
        description="In org-id form: GB-SHPE-… for a "
        "registered provider of social housing, GB-COH-… company, GB-CHC-… charity, "
        "GB-SC-… Scottish charity, GB-MPR-… mutual.",
        validators=[Length(max=40)],
    )
    homes_owned = WholeNumberField(
        "Homes owned (optional)",
        invalid="Enter the number of homes owned as a whole number, for example 12400.",
        validators=[Optional(), NumberRange(min=0, message="The number of homes cannot be negative.")],
    )
    regions = RegionsField("Regions you work in")
    website = StringField(
        "Website (optional)", description="For example https://www.example.org.uk", validators=[Length(max=300)]
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional)", description="It helps the convenor to know.", validators=[Length(max=2000)]
    )


class JoinForm(FlaskForm):
    """Accept as the logged-in user: CSRF only."""
