"""Reminder forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length


class PlanForm(FlaskForm):
    plan = StringField(
        "When to remind, before the deadline",
        description="Separate times with commas: d for days, h for hours, m for minutes, for example "
        "7d, 2d, 24h, 2h. At most 10. Leave empty for no automatic reminders.",
        validators=[Length(max=500, message="Keep the plan to 500 characters or fewer.")],
    )


class SendNowForm(FlaskForm):
    group = SelectField("Who to remind", choices=[], validate_choice=False)
    message = TextAreaField(
        "Your message",
        description="It goes above the usual reminder, with how much time is left and the right link.",
    )
    send_id = HiddenField()


class DigestForm(FlaskForm):
    digest_opt_out = BooleanField("Do not send me the daily digest email")
