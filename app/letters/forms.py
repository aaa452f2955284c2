"""Letter upload form."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField


class LetterForm(FlaskForm):
    letter = FileField(
        "Signed letter of commitment (PDF)",
        render_kw={"accept": "application/pdf,.pdf"},
        description=(
            "A PDF of up to {limit}. It replaces any letter uploaded before; the funder receives the current one."
        ),
    )
