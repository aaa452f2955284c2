"""Rendering many emails of one kind at once (the scheduler's batches): each template is looked up once, and
the context every email shares is built once; each email then costs only its own rendering.

Gives the same messages as ``notifications.render`` called once per email, as plain outbox rows for
``notifications.queue_rows`` (one INSERT for the batch, no ORM object per email).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from jinja2.runtime import new_context

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
    env = app.jinja_env
    templates = [env.get_template(f"email/{kind}.{ext}") for ext in ("txt", "html")]
    # Each template's globals (a ChainMap, slow to iterate) copied into a plain dict and merged with the shared
    # context once: an email's context is then one dict copy, shared by both templates when their globals are the
    # same (they come from one environment), and each template is rendered from it directly (what
    # Template.render does, less the merging and the ChainMap walk on every call).
    plain_globals = [dict(template.globals) for template in templates]
    bases = [{**globals_, **shared} for globals_ in plain_globals]
    one_context = bases[0] == bases[1]
    concat = env.concat
    domain = notifications.sender_domain()
    bid_id = bid.id if bid is not None else None
    subjects: dict[str, str] = {}  # a batch has a handful of distinct subjects
    messages = []
    for letter in letters:
        bodies = []
        own = {**letter.context, "subject": letter.subject}
        values = {**bases[0], **own} if one_context else None
        for template, base, globals_ in zip(templates, bases, plain_globals, strict=True):
            values = values if one_context else {**base, **own}
            context = new_context(env, template.name, template.blocks, values, True, globals_)
            try:
                bodies.append(concat(template.root_render_func(context)))
            except Exception:
                env.handle_exception()  # the template's file and line in the traceback, as render() has
        subject = subjects.get(letter.subject)
        if subject is None:
            subject = subjects[letter.subject] = notifications.subject_line(letter.subject, bid)
        messages.append(
            {
                "message_id": new_message_id(domain),
                "to_address": letter.to,
                "reply_to": letter.reply_to,
                "subject": subject,
                "body_text": bodies[0],
                "body_html": bodies[1],
                "kind": kind,
                "bid_id": bid_id,
            }
        )
    return messages
