"""Confirming an action that cannot be undone: one page for all of them.

A dangerous button on a page is a link (``confirm_link`` in macros/forms.html) to its action's URL. A GET there, or
a POST without ``confirm=yes``, shows the confirmation page: what will happen, who will be emailed (with real
counts), any warnings, and two buttons whose first, and so the form's default, is the safe one. Only a POST with
``confirm=yes`` and a valid CSRF token acts. No JavaScript is needed; both buttons are reachable by keyboard and the
safe one has the focus.

A view asks ``gate(build)`` first: it returns the page (or, for "No", the redirect back) when the action is not yet
confirmed, and None when the view should go ahead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, redirect, render_template, request
from flask_wtf import FlaskForm

#: the form field that says the person chose to go ahead
FIELD = "confirm"


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says. Sentences are complete and carry real counts."""

    #: the question, e.g. "Close the bid now?"
    title: str
    #: what will happen, one sentence each
    happens: list[str]
    #: who will be emailed (or that no one will be)
    emailed: str
    #: the button that acts, e.g. "Yes, close the bid now"
    confirm_label: str
    #: the safe choice, e.g. "No, keep it open"
    keep_label: str
    #: where the safe choice goes
    back_url: str
    #: the page's caption (the bid's title)
    caption: str = ""
    #: things the person should know first (unmet thresholds), with ``warnings_title`` above them
    warnings: list[str] = field(default_factory=list)
    warnings_title: str = ""
    #: hidden fields carried to the POST (a pledge's version)
    hidden: dict[str, str] = field(default_factory=dict)


class _CsrfOnly(FlaskForm):
    pass


def gate(build: Callable[[], Confirmation]):
    """None when the action is confirmed (a POST with ``confirm=yes`` and a valid CSRF token); otherwise the
    response to return: the confirmation page, or the redirect back when the person chose the safe option."""
    if request.method == "POST":
        if not _CsrfOnly().validate_on_submit():
            abort(400)
        choice = request.form.get(FIELD)
        if choice == "yes":
            return None
        confirmation = build()
        if choice == "no":
            return redirect(confirmation.back_url)
        return render_template("confirm.html", c=confirmation)
    return render_template("confirm.html", c=build())


def people(count: int, one: str = "person", many: str = "people") -> str:
    """``1 person``, ``3 people``."""
    return f"{count:,} {one if count == 1 else many}"
