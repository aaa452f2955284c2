"""Rendering many emails of one kind at once (the scheduler's batches): each template is looked up once, and
the context every email shares is built once; each email then costs only its own rendering.

Gives the same messages as ``notifications.render`` called once per email, as plain outbox rows for
``notifications.queue_rows`` (one INSERT for the batch, no ORM object per email).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app

from app.models import Bid
from app.models.outbox import new_message_id


@dataclass
class Letter:
    """One email of a batch: to whom, its subject, and the context that is its own."""

    to: str
    subject: str
    context: dict = field(default_factory=dict)
    reply_to: str | None = None


def render_many(kind: str, bid: Bid | None, letters: Iterable[Letter], **shared) -> list[dict]:
    """Render ``templates/email/<kind>.txt`` and ``.html`` for every letter into outbox rows (column values, not
    yet queued: see ``notifications.queue_rows``). ``shared`` is the context common to all of them."""
    from app import notifications  # the package imports nothing from here

    app = current_app._get_current_object()
    text_template = app.jinja_env.get_template(f"email/{kind}.txt")
    html_template = app.jinja_env.get_template(f"email/{kind}.html")
    base = dict(shared)
    base.setdefault("base_url", app.config["BASE_URL"].rstrip("/"))
    base["bid"] = bid
    app.update_template_context(base)  # what render_template adds to every template's context
    domain = notifications.sender_domain()
    bid_id = bid.id if bid is not None else None
    messages = []
    for letter in letters:
        context = {**base, **letter.context, "subject": letter.subject}
        messages.append(
            {
                "message_id": new_message_id(domain),
                "to_address": letter.to,
                "reply_to": letter.reply_to,
                "subject": notifications.subject_line(letter.subject, bid),
                "body_text": text_template.render(context),
                "body_html": html_template.render(context),
                "kind": kind,
                "bid_id": bid_id,
            }
        )
    return messages
