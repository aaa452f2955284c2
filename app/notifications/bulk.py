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
    shared = dict(shared)
    shared.setdefault("base_url", app.config["BASE_URL"].rstrip("/"))
    shared["bid"] = bid
    app.update_template_context(shared)  # what render_template adds to every template's context
    templates = [app.jinja_env.get_template(f"email/{kind}.{ext}") for ext in ("txt", "html")]
    # Each template's globals merged with the shared context once: an email's context is then one dict copy, and
    # each template is rendered from it directly (what Template.render does, less the merging every call).
    bases = [{**template.globals, **shared} for template in templates]
    concat = app.jinja_env.concat
    domain = notifications.sender_domain()
    bid_id = bid.id if bid is not None else None
    messages = []
    for letter in letters:
        bodies = []
        for template, base in zip(templates, bases, strict=True):
            context = template.new_context({**base, **letter.context, "subject": letter.subject}, shared=True)
            try:
                bodies.append(concat(template.root_render_func(context)))
            except Exception:
                app.jinja_env.handle_exception()  # the template's file and line in the traceback, as render() has
        messages.append(
            {
                "message_id": new_message_id(domain),
                "to_address": letter.to,
                "reply_to": letter.reply_to,
                "subject": notifications.subject_line(letter.subject, bid),
                "body_text": bodies[0],
                "body_html": bodies[1],
                "kind": kind,
                "bid_id": bid_id,
            }
        )
    return messages
