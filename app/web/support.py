"""What every blueprint's views share: loading a bid for the logged-in person (or 404), the action button's
form, and reading a form's version.

Loading raises the services' NotFound, which the registered error handler turns into the same 404 page as an
unknown address; views need no ``try``/``abort`` of their own.
"""

from __future__ import annotations

from flask_login import current_user
from flask_wtf import FlaskForm

from app.models import Bid
from app.services import access
from app.services.errors import ValidationFailed
from app.web.versions import parse_version

OUT_OF_DATE = "The form is out of date. Reload the page and try again."


def load_bid(bid_id: int, *, convenor: bool = False) -> Bid:
    """The bid for the logged-in person: its convenors, or (unless ``convenor``) a member who may see it."""
    if convenor:
        return access.get_bid_for_convenor(current_user, bid_id)
    return access.get_bid_for_viewer(current_user, bid_id)


def member_bid(bid_id: int) -> Bid:
    """The bid for a person whose organisation joined it (convenors do not pledge or upload letters)."""
    return access.get_bid_for_member(current_user, bid_id)


def form_version(value: str | None) -> int | None:
    """The version a form was opened on (its hidden field); None when it has none.

    Raises ValidationFailed on ``version`` when the field holds anything but a version, so that call_service
    shows the form's "out of date" message.
    """
    try:
        return parse_version(value)
    except ValueError:
        raise ValidationFailed({"version": [OUT_OF_DATE]}) from None


class ActionForm(FlaskForm):
    """A button that changes state: CSRF only."""
