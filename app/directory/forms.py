"""Directory forms: an organisation's profile and tags, a contact, a merge, an import."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.web.forms import RegionsField


class OrganisationForm(FlaskForm):
    name = StringField(
        "Organisation name", validators=[DataRequired("Enter the organisation's name."), Length(max=200)]
    )
    identifier = StringField(
        "Organisation identifier (optional)",
        description="In org-id form, for example GB-SHPE-L0026 or GB-COH-01234567.",
        validators=[Length(max=40)],
    )
    homes_owned = StringField("Homes owned (optional)", validators=[Length(max=20)])
    regions = RegionsField("Regions (optional)")
    website = StringField("Website (optional)", validators=[Length(max=300)])
    tags = StringField(
        "Tags (optional)",
        description="Separated by commas, for example: Wales, CECI network.",
        validators=[Length(max=500)],
    )


class NewOrganisationForm(OrganisationForm):
    contact_name = StringField("Contact name (optional)", validators=[Length(max=200)])
    contact_email = EmailField("Contact email (optional)", validators=[Optional(), Length(max=254)])
    contact_job_title = StringField("Contact job title (optional)", validators=[Length(max=200)])


class TagsForm(FlaskForm):
    tags = StringField("Tags", description="Separated by commas.", validators=[Length(max=500)])


class ContactForm(FlaskForm):
    name = StringField("Name (optional)", validators=[Length(max=200)])
    email = EmailField("Email", validators=[DataRequired("Enter the contact's email address."), Length(max=254)])
    job_title = StringField("Job title (optional)", validators=[Length(max=200)])
    primary = BooleanField("Make this the primary contact")


class MergeForm(FlaskForm):
    into = SelectField("Merge into", coerce=int, validate_choice=False)


class ImportForm(FlaskForm):
    rows = TextAreaField("Paste a table", description="With a header row naming the columns.")
    file = FileField(
        "Or upload a CSV or XLSX file",
        description="Columns by name: organisation (required), email, contact name, job title, identifier, homes, "
        "regions, website, tags. CSV in UTF-8 or Windows-1252, comma, semicolon or tab separated; or an Excel "
        "workbook (first sheet).",
    )
