"""The convening body's settings form."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, StringField, TelField


class BodySettingsForm(FlaskForm):
    display_name = StringField(
        "Display name",
        description="The name on the bid pack's cover and running header. Leave empty to use {name}.",
    )
    logo = FileField(
        "Logo (PNG or JPEG)",
        render_kw={"accept": "image/png,image/jpeg,.png,.jpg,.jpeg"},
        description="Up to {limit} and {pixels} × {pixels} pixels. Shown on the pack's cover and running header.",
    )
    remove_logo = BooleanField("Remove the current logo")
    accent = StringField(
        "Accent colour",
        description="A dark colour as # and six hexadecimal digits, like #1d3557, for the cover band and the "
        "running header. White text on it must be readable. Leave empty for the default navy.",
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    contact_name = StringField("Contact name", description="The person a funder should contact about a bid.")
    contact_email = EmailField("Contact email")
    contact_phone = TelField("Contact phone")
