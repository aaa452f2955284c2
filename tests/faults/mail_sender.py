"""A process that sends outbox messages over SMTP from several threads, as a web worker's after-commit
senders do, until it is killed (see test_mail_duplicates.py). Arguments: database URL, SMTP port, threads,
comma-separated message ids."""

import sys
import threading

from app import create_app, notifications
from config import TestConfig


def main() -> None:
    url, port, threads, ids = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    message_ids = [int(i) for i in ids.split(",")]
    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port
    )

    def send(batch: list[int]) -> None:
        with app.app_context():
            notifications.send_pending(batch)

    senders = [threading.Thread(target=send, args=(message_ids[n::threads],)) for n in range(threads)]
    for sender in senders:
        sender.start()
    print("SENDING", flush=True)
    for sender in senders:
        sender.join()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
