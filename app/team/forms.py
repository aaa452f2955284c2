"""Team forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.web.forms import RegionsField, WholeNumberField


class InviteColleagueForm(FlaskForm):
    email = EmailField(
        "Colleague's email address",
        validators=[
            DataRequired("Enter your colleague's email address."),
            Length(max=254, message="Use at most 254 characters."),
        ],
    )
    as_manager = BooleanField("Make them a manager too (they can invite and remove people)")


class JoinForm(FlaskForm):
    name = StringField(
        "Your name",
        validators=[DataRequired("Enter your name."), Length(max=200, message="Use at most 200 characters.")],
    )
    password = PasswordField(
        "Choose a password",
        description="At least 10 characters; not a common password.",
        validators=[DataRequired("Choose a password.")],
    )


class ProfileForm(FlaskForm):
    name = StringField(
        "Organisation name",
        validators=[
            DataRequired("Enter the organisation's name."),
            Length(max=200, message="Use at most 200 characters."),
        ],
    )
    identifier = StringField(
        "Organisation identifier (optional)",
        description="In org-id form: GB-SHPE-… for a registered provider of social housing, GB-COH-… company, "
        "GB-CHC-… charity, GB-SC-… Scottish charity, GB-MPR-… mutual.",
        validators=[Length(max=40, message="Use at most 40 characters.")],
    )
    homes_owned = WholeNumberField(
        "Homes owned (optional)",
        invalid="Enter the number of homes owned as a whole number, for example 12400.",
        validators=[Optional()],
    )
    regions = RegionsField("Regions you work in")
    website = StringField(
        "Website (optional)",
        description="For example www.example.org.uk",
        validators=[Length(max=300, message="Use at most 300 characters.")],
    )
