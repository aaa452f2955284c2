"""What a form says when a stale edit is refused: who changed the thing and when, in words the person recognises.

The view puts the saved values back in the fields (so a second click cannot overwrite them) and shows what the person
typed beside them (so nothing typed is lost); this module says who: "Alex Jones" or "you, in another tab".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.infra import clock


@dataclass(frozen=True)
class Conflict:
    #: "Alex Jones", or "you, in another tab" when the change was the same person's
    who: str
    #: when the saved values were last changed
    at: datetime | None
    #: True when the person who is looking made the change themselves
    yourself: bool
    #: (label, what they typed) for each field, shown beside the saved values
    typed: list[tuple[str, str]]

    @property
    def sentence(self) -> str:
        when = f"at {clock.format_uk(self.at)}" if self.at is not None else "after you opened the form"
        return f"It was changed {when} by {self.who}."


def conflict(changed_by, changed_at: datetime | None, viewer, typed: list[tuple[str, str]]) -> Conflict:
    """The conflict as ``viewer`` sees it, given who last changed the saved values and when."""
    yourself = changed_by is not None and viewer is not None and changed_by.id == viewer.id
    if yourself:
        who = "you, in another tab or window"
    elif changed_by is not None:
        who = changed_by.name
    else:
        who = "someone else"
    return Conflict(who, changed_at, yourself, typed)
