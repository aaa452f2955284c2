"""Signing a person in to this browser: a fresh session cookie, the session's times, and its recorded key."""

from __future__ import annotations

import time

from flask import request, session
from flask_login import login_user

from app.models import User
from app.services import sessions, users


def sign_in(user: User) -> None:
    """A fresh session for the user in this browser, recorded so that they can see and end it later."""
    session.clear()
    login_user(user)
    session["login_at"] = session["seen_at"] = int(time.time())
    session.permanent = True
    session["sid"] = sessions.start_session(
        user, user_agent=request.headers.get("User-Agent"), ip_address=request.remote_addr
    )


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the user of a current session version whose recorded session has not been ended
    (the browser's session is not checked on the API, which signs in with tokens), in one query."""
    return users.load_session_user(
        session_id, browser_key=session.get("sid"), check_browser=not request.path.startswith("/api/")
    )
