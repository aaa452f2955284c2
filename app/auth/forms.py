"""Login and account forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=200)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField(
        "New password",
        description="At least 10 characters; not a common password.",
        validators=[DataRequired("Enter a new password.")],
    )


class PreferencesForm(FlaskForm):
    digest_opt_out = BooleanField("Do not send me the daily digest email")


class ApiTokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="What will use it, e.g. ‘Finance system’. You can revoke it at any time.",
        validators=[DataRequired("Give the token a name."), Length(max=100, message="Use at most 100 characters.")],
    )


class RevokeTokenForm(FlaskForm):
    """A revoke button: only the CSRF token."""


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email address",
        description="The address you log in with.",
        validators=[DataRequired("Enter your email address."), Length(max=254, message="Use at most 254 characters.")],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description="At least 10 characters; not a common password.",
        validators=[DataRequired("Enter a new password.")],
    )


class NameForm(FlaskForm):
    name = StringField(
        "Your name",
        validators=[DataRequired("Enter your name."), Length(max=200, message="Use at most 200 characters.")],
    )


class EmailForm(FlaskForm):
    email = EmailField(
        "New email address",
        description="We email a link to the new address; nothing changes until it is used.",
        validators=[
            DataRequired("Enter the new email address."),
            Length(max=254, message="Use at most 254 characters."),
        ],
    )
