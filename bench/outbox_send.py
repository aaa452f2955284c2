"""Sending the outbox over SMTP: milliseconds per email through ``send_pending`` against the same messages sent
over one connection with no database (the floor), to a local SMTP server in the same process.

    python -m bench.outbox_send [--small]

On each database (SQLite and, when reachable, PostgreSQL), rounds alternate: the project queues ``EMAILS``
outbox rows the size of a reminder (not timed) and sends them with ``notifications.send_pending`` as the
scheduler's sweep does (200 at a time): each message claimed, sent and recorded; then the floor builds the same
messages with flask-mailman and sends them with one ``send_messages`` over one connection. Reported: the median
ms per email of each and their ratio, SQL statements per email, and SMTP connections per 100 emails. The local
server answers at once: a real relay answers over a network, and with TLS, where every connection saved is
worth more than it is here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import sqlalchemy as sa
from sqlalchemy import event

from bench.common import database_targets, fresh_database, in_process_app, row, workdir

EMAILS = 500
ROUNDS = 4
BODY_TEXT = "Hello Member,\n\n" + "Pledges close soon: this is a reminder with a link to the pledge form.\n" * 5
BODY_HTML = "<p>Hello Member,</p>" + "<p>Pledges close soon: <a href='https://x.example/p'>pledge</a>.</p>" * 5


def _queue(count: int, round_no: int) -> None:
    from app.extensions import db
    from app.infra import clock
    from app.models import EmailMessage, EmailStatus
    from app.models.outbox import new_message_id

    now = clock.now()
    rows = [
        {
            "message_id": new_message_id("bench.example"),
            "to_address": f"member{round_no}-{n}@x.example",
            "subject": f"Reminder {n}",
            "body_text": BODY_TEXT,
            "body_html": BODY_HTML,
            "kind": "reminder",
            "status": EmailStatus.PENDING,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(sa.insert(EmailMessage.__table__), rows)
    db.session.commit()
    db.session.remove()


def _floor_messages(count: int, round_no: int, sender: str) -> list:
    from flask_mailman import EmailMultiAlternatives

    messages = []
    for n in range(count):
        email = EmailMultiAlternatives(
            subject=f"Reminder {n}", body=BODY_TEXT, from_email=sender, to=[f"floor{round_no}-{n}@x.example"]
        )
        email.attach_alternative(BODY_HTML, "text/html")
        messages.append(email)
    return messages


def run_database(label: str, url: str, work, emails: int, rounds: int) -> dict:
    from app import notifications
    from app.extensions import db, mail
    from tests.smtp import SMTPServer

    print(f"  [{label}] {rounds} rounds of {emails} emails", flush=True)
    instance = work / f"instance-send-{label}"
    fresh_database(url, instance)
    project, floor, statements = [], [], []
    with SMTPServer() as server:
        app = in_process_app(url, instance, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        with app.app_context():
            counted = {"n": 0}

            def count(*_args) -> None:
                counted["n"] += 1

            event.listen(db.engine, "before_cursor_execute", count)
            connections_project = 0
            for round_no in range(rounds):
                _queue(emails, round_no)
                before, counted["n"] = server.connections, 0
                start, sent = time.perf_counter(), 0
                while True:
                    done, failed = notifications.send_pending()
                    assert failed == 0, "the local server refused a message"
                    if not done:
                        break
                    sent += done
                project.append((time.perf_counter() - start) / sent)
                statements.append(counted["n"] / sent)
                connections_project += server.connections - before
                assert sent == emails, (sent, emails)

                messages = _floor_messages(emails, round_no, app.config["MAIL_DEFAULT_SENDER"])
                before_floor = server.count()
                start = time.perf_counter()
                with mail.get_connection() as connection:
                    connection.send_messages(messages)
                floor.append((time.perf_counter() - start) / emails)
                assert server.count() - before_floor == emails
            event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
            db.engine.dispose()
    ms_project = round(statistics.median(project) * 1000, 3)
    ms_floor = round(statistics.median(floor) * 1000, 3)
    return {
        "database": label,
        "emails_per_round": emails,
        "rounds": rounds,
        "ms_per_email": ms_project,
        "floor_ms_per_email": ms_floor,
        "ratio": round(ms_project / ms_floor, 2),
        "statements_per_email": round(statistics.median(statements), 2),
        "connections_per_100": round(100 * connections_project / (emails * rounds), 2),
    }


def rows_for(result: dict) -> list[dict]:
    out = []
    for db in result["databases"]:
        case = f"{db['database']}, {db['rounds']} rounds of {db['emails_per_round']} emails, local SMTP server"
        out.append(
            row(
                "outbox_send",
                case,
                "ms per email: send_pending (claim, send, record) vs the same messages over one connection, no DB",
                db["ms_per_email"],
                db["floor_ms_per_email"],
                db["ratio"],
            )
        )
        out.append(row("outbox_send", case, "SQL statements per email", db["statements_per_email"]))
        out.append(row("outbox_send", case, "SMTP connections per 100 emails", db["connections_per_100"]))
    return out


def main(small: bool = False) -> dict:
    emails, rounds = (200, 2) if small else (EMAILS, ROUNDS)
    result = {"scenario": "outbox_send", "databases": []}
    with workdir("outbox-send") as work:
        for label, url in database_targets(work, "outbox_send"):
            result["databases"].append(run_database(label, url, work, emails, rounds))
    result["rows"] = rows_for(result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="2 rounds of 200 emails")
    args = parser.parse_args()
    outcome = main(small=args.small)
    print(json.dumps({k: v for k, v in outcome.items() if k != "rows"}, indent=1, default=str))
