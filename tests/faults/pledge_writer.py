"""A process that writes a pledge, then waits to be killed (see test_kill.py for the arguments).

MODE ``flushed`` stops inside the transaction (pledge, revision and audit rows written but not committed);
MODE ``committed`` stops after the commit.
"""

import sys
import time

from app import create_app
from app.extensions import db
from app.models import Bid, User
from app.services import pledges
from config import TestConfig


def main() -> None:
    url, bid_id, user_id, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_BACKEND="locmem")
    with app.app_context():
        bid, user = db.session.get(Bid, bid_id), db.session.get(User, user_id)
        values = {
            "amount_pence": 99_900_000,
            "homes": 999,
            "regions": ["WAL"],
            "statement": "new",
            "status": "confirmed",
            "accept_terms": True,
        }
        pledges.save_pledge(user, bid, values, expected_version=1)
        db.session.flush()
        if mode == "committed":
            db.session.commit()
        print(mode.upper(), flush=True)
        time.sleep(120)


if __name__ == "__main__":
    main()
