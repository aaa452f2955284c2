"""The kinds of audit event, declared in one table: the plain-English sentence the audit log shows for each.

A new area adds its kinds with ``declare(action, sentence)`` beside its own code; the audit log
(app.services.audit_log) reads only this table. A sentence receives an ``Entry``: who did it (already in words:
"Alex Jones (Riverside Homes)", "The invitation link for Riverside Homes", "The system"), the organisation the event
concerns, and the raw before/after values. ``tests/services/test_audit_kinds.py`` checks that every action recorded
anywhere in the code has a sentence; one nobody declared still shows, as a readable fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.infra import clock
from app.money import format_pence
from app.regions import region_names
from app.text import possessive


@dataclass(frozen=True)
class Entry:
    action: str
    #: who did it, in words
    actor: str
    #: the organisation the event concerns, when there is one
    organisation: str | None = None
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)

    def value(self, key: str, default=None):
        """A value from after, else before."""
        return self.after.get(key, self.before.get(key, default))


Sentence = Callable[[Entry], str]
KINDS: dict[str, Sentence] = {}
#: the kind's name in the audit log's filter, e.g. "Pledge withdrawn"
TITLES: dict[str, str] = {}


def declare(action: str, sentence: Sentence, *, title: str | None = None) -> None:
    KINDS[action] = sentence
    if title:
        TITLES[action] = title


def title(action: str) -> str:
    """The kind's name for people: its declared title, else its words (``pledge.withdrawn`` → ``Pledge withdrawn``)."""
    return TITLES.get(action) or action.replace(".", " ").replace("_", " ").capitalize()


def describe(entry: Entry) -> str:
    """One sentence, e.g. ``Alex Jones (Riverside Homes) withdrew Riverside Homes' pledge of £250,000.``"""
    sentence = KINDS.get(entry.action)
    if sentence is None:
        return f"{entry.actor}: {entry.action.replace('.', ' ').replace('_', ' ')}" + (
            f" ({entry.organisation})." if entry.organisation else "."
        )
    return sentence(entry)


# --- values in words: the sentences and the expanded details use these --------------------------------------

#: field names in words
LABELS = {
    "title": "title",
    "funder_name": "funder",
    "scheme": "scheme",
    "summary": "case for the bid",
    "terms": "terms",
    "target_pence": "target",
    "target_homes": "target homes",
    "min_pledge_pence": "minimum pledge",
    "min_total_pence": "minimum total",
    "min_members": "minimum members",
    "deadline": "deadline",
    "show_amounts": "who sees amounts",
    "grace_minutes": "grace window",
    "amount_pence": "amount",
    "homes": "homes",
    "regions": "regions",
    "statement": "statement",
    "status": "status",
    "plan": "reminder plan",
    "expires_at": "link expires",
    "organisation_name": "organisation",
    "digest_opt_out": "daily digest",
}


def label(key: str) -> str:
    return LABELS.get(key, key.removesuffix("_pence").replace("_", " "))


def plan_in_words(minutes: list | None) -> str:
    """``[10080, 2880, 120]`` → ``7 days, 2 days and 2 hours before the deadline``."""
    from app.services.reminder_plan import describe as length

    if not minutes:
        return "no reminders"
    parts = [length(int(m)) for m in sorted(minutes, reverse=True)]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{listed} before the deadline"


def _uk_time(value) -> str | None:
    if not isinstance(value, str) or len(value) < 19 or value[4] != "-":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return clock.format_uk(moment) if moment.tzinfo else None


def in_words(key: str, value) -> str:
    """A recorded value as a person reads it: money in pounds, UK times, region names, plans in words."""
    if value is None or value == "":
        return "none"
    if key.endswith("_pence") and isinstance(value, int):
        return format_pence(value)
    if key == "regions" and isinstance(value, list):
        return ", ".join(region_names(value)) or "none"
    if key == "plan" and isinstance(value, list):
        return plan_in_words(value)
    if key == "grace_minutes" and isinstance(value, int):
        return f"{value} minutes" if value else "none"
    if key == "show_amounts" and isinstance(value, bool):
        return "every member" if value else "the convenors only"
    if key == "digest_opt_out" and isinstance(value, bool):
        return "off" if value else "on"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if (when := _uk_time(value)) is not None:
        return when
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def differences(entry: Entry) -> list[tuple[str, str | None, str | None]]:
    """(field in words, before in words or None, after in words or None), for the expanded details."""
    rows = []
    for key in list(entry.after) + [k for k in entry.before if k not in entry.after]:
        before = in_words(key, entry.before[key]) if key in entry.before else None
        after = in_words(key, entry.after[key]) if key in entry.after else None
        if before != after:
            rows.append((label(key).capitalize(), before, after))
    return rows


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _org(e: Entry, fallback: str = "an organisation") -> str:
    return e.organisation or e.value("organisation_name") or fallback


def _pledge_figures(e: Entry) -> str:
    amount, homes = e.after.get("amount_pence"), e.after.get("homes")
    if not isinstance(amount, int):
        return ""
    text = f" of {format_pence(amount)}"
    if isinstance(homes, int):
        text += f" covering {homes:,} homes"
    regions = e.after.get("regions")
    if regions:
        text += f" in {_listed(region_names(regions))}"
    return text


def _pledge(verb: str, *, with_status: bool = True) -> Sentence:
    def sentence(e: Entry) -> str:
        status = e.after.get("status") if with_status else None
        suffix = f" ({status})." if status in ("indicative", "confirmed") else "."
        return f"{e.actor} {verb} {possessive(_org(e))} pledge{_pledge_figures(e)}{suffix}"

    return sentence


def _pledge_amended(e: Entry) -> str:
    moved = [
        f"{label(k)} from {in_words(k, e.before.get(k))} to {in_words(k, e.after.get(k))}"
        for k in ("amount_pence", "homes", "regions", "status")
        if k in e.before and e.before.get(k) != e.after.get(k)
    ]
    if e.before.get("statement") != e.after.get("statement") and "statement" in e.before:
        moved.append("the statement")
    return f"{e.actor} changed {possessive(_org(e))} pledge" + (f": {_listed(moved)}." if moved else ".")


def _bid_edited(e: Entry) -> str:
    fields = [label(k) for k in e.before] or ["details"]
    return f"{e.actor} changed the bid's {_listed(fields)}."


def _deadline(verb: str) -> Sentence:
    return lambda e: (
        f"{e.actor} {verb} from {in_words('deadline', e.before.get('deadline'))} "
        f"to {in_words('deadline', e.after.get('deadline'))}."
    )


def _closed(e: Entry) -> str:
    if e.after.get("reason") == "deadline":
        return "The bid closed at its deadline."
    return f"{e.actor} closed the bid before its deadline."


def _reminder_plan(e: Entry) -> str:
    return (
        f"{e.actor} changed the reminder plan from {plan_in_words(e.before.get('plan'))} "
        f"to {plan_in_words(e.after.get('plan'))}."
    )


def _reminder_manual(e: Entry) -> str:
    sent = e.after.get("sent")
    group = {
        "not_responded": "everyone who has not answered the invitation",
        "not_pledged": "every member organisation with no pledge",
        "confirm": "every member organisation whose pledge is indicative",
    }.get(e.after.get("group"), str(e.after.get("group") or "a group").replace("_", " "))
    count = f"{sent:,} reminder{'s' if sent != 1 else ''}" if isinstance(sent, int) else "reminders"
    return f"{e.actor} sent {count} by hand to {group}."


def _invitation(verb: str) -> Sentence:
    def sentence(e: Entry) -> str:
        email = e.value("email")
        return f"{e.actor} {verb} {_org(e)}" + (f" ({email})" if email else "") + "."

    return sentence


def _declined(e: Entry) -> str:
    reason = e.after.get("reason")
    return f"{e.actor} declined the invitation for {_org(e)}" + (f', saying "{reason}".' if reason else ".")


def _letter(verb: str) -> Sentence:
    def sentence(e: Entry) -> str:
        return f"{e.actor} {verb} {possessive(_org(e))} letter of commitment ({e.after.get('filename', 'a file')})."

    return sentence


def _join(verb: str) -> Sentence:
    return lambda e: f"{e.actor} {verb} {possessive(e.after.get('email', 'someone'))} request to join {_org(e)}."


def _pack(e: Entry) -> str:
    total = e.after.get("total_pence")
    figures = f": {format_pence(total)} pledged" if isinstance(total, int) else ""
    return f"{e.actor} made version {e.after.get('version', '?')} of the bid pack{figures}."


def _funder_link(verb: str) -> Sentence:
    def sentence(e: Entry) -> str:
        name, email = e.value("name"), e.value("email")
        who = f"{name} ({email})" if name and email else name or "the funder"
        return f"{e.actor} {verb} {who}."

    return sentence


def _profile(e: Entry) -> str:
    fields = _listed([label(k) for k in e.after] or ["details"])
    return f"{e.actor} changed {possessive(_org(e, 'the organisation'))} profile: {fields}."


declare("bid.created", lambda e: f"{e.actor} created the bid as a draft.")
declare("bid.edited", _bid_edited)
declare("bid.opened", lambda e: f"{e.actor} opened the bid for pledges.")
declare("bid.closed", _closed)
declare("bid.cancelled", lambda e: f"{e.actor} cancelled the bid.")
declare("bid.restored", lambda e: f"{e.actor} restored the cancelled bid to a draft.")
declare("bid.submitted", lambda e: f"{e.actor} marked the bid as submitted to the funder.")
declare("bid.extended", _deadline("moved the deadline"))
declare("bid.reopened", _deadline("reopened the bid, moving the deadline"))
declare("bid.reminder_plan", _reminder_plan)
declare("reminder.manual", _reminder_manual)
declare("pledge.created", _pledge("made"))
declare("pledge.confirmed", _pledge("confirmed", with_status=False))
declare("pledge.reinstated", _pledge("renewed"))
declare("pledge.amended", _pledge_amended)
declare("pledge.withdrawn", lambda e: f"{e.actor} withdrew {possessive(_org(e))} pledge.")
declare("invitation.sent", _invitation("invited"))
declare("invitation.resent", _invitation("sent a new invitation link to"))
declare("invitation.revoked", _invitation("revoked the invitation to"))
declare("invitation.link_reissued", _invitation("sent a fresh invitation link with a reminder to"))
declare("invitation.accepted", lambda e: f"{e.actor} accepted the invitation: {_org(e)} joined the bid.")
declare("invitation.declined", _declined)
declare("join_request.created", _join("asked, through an invitation, for"))
declare("join_request.approved", _join("approved"))
declare("join_request.refused", _join("refused"))
declare("join_request.cancelled", _join("cancelled"))
declare("letter.uploaded", _letter("uploaded"))
declare("letter.replaced", _letter("replaced"))
declare("pack.generated", _pack)
declare("funder_link.created", _funder_link("sent a private bid pack link to"))
declare("funder_link.revoked", _funder_link("withdrew the bid pack link of"))
declare(
    "user.created",
    lambda e: (
        f"{e.actor} added an account for {e.value('email') or 'a person'}"
        + (f" at {e.organisation}." if e.organisation else ".")
    ),
)
declare("user.enabled", lambda e: f"{e.actor} re-enabled an account.")
declare("user.disabled", lambda e: f"{e.actor} disabled an account.")
declare("user.password_changed", lambda e: f"{e.actor} changed their password.")
declare(
    "user.digest_preference",
    lambda e: f"{e.actor} turned the daily digest {'off' if e.after.get('digest_opt_out') else 'on'}.",
)
declare("auth.login", lambda e: f"{e.actor} logged in.")
declare("auth.logout", lambda e: f"{e.actor} logged out.")
declare("auth.login_failed", lambda e: f"A log-in failed for {e.value('email') or 'an account'}.")
declare(
    "api_token.created",
    lambda e: f"{e.actor} made an API token" + (f" named {e.after['name']}." if e.after.get("name") else "."),
)
declare("api_token.revoked", lambda e: f"{e.actor} revoked an API token.")
declare("organisation.created", lambda e: f"{e.value('name') or 'An organisation'} was added to the directory.")
declare("organisation.profile_updated", _profile)
declare("body.updated", lambda e: f"{e.actor} changed the convening body's settings.")

# Titles where the action's own words would read as an internal label.
TITLES.update(
    {
        "bid.reminder_plan": "Reminder plan changed",
        "reminder.manual": "Reminders sent by hand",
        "bid.restored": "Bid restored to a draft",
        "invitation.link_reissued": "Invitation link sent again with a reminder",
        "pack.generated": "Bid pack made",
        "funder_link.created": "Funder link sent",
        "funder_link.revoked": "Funder link withdrawn",
        "user.digest_preference": "Daily digest turned on or off",
        "auth.login_failed": "Failed log-in",
    }
)
