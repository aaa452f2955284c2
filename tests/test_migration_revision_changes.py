"""0020_revision_changes: existing revisions get their change to the live total and member count, filled from
each pledge's revisions in time order; the figures match what a pledge write records with each revision."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.test_migrations import fresh_url  # noqa: F401  (the fixture: a database of its own)

WITHDRAWN = '{"status": "withdrawn"}'
QUERY = "SELECT id, amount_change_pence, members_change FROM pledge_revisions ORDER BY id"


def _changes():
    out = [tuple(r) for r in db.session.execute(sa.text(QUERY))]
    db.session.remove()
    return out


def test_the_backfill_matches_what_each_write_recorded(fresh_url, tmp_path):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=fresh_url, UPLOAD_DIR=str(tmp_path / "u"))
    with app.app_context():
        upgrade()
        from app.demo import seed_demo

        seed_demo()
        db.session.commit()
        # A withdrawal: the live total falls by the pledge's amount and there is one member fewer.
        pledge_id, amount = db.session.execute(sa.text("SELECT id, amount_pence FROM pledges ORDER BY id")).first()
        db.session.execute(
            sa.text(
                "INSERT INTO pledge_revisions (pledge_id, bid_id, organisation_id, version, action, created_at, "
                '"before", "after", amount_change_pence, members_change) '
                "SELECT id, bid_id, organisation_id, 99, 'withdrawn', :at, NULL, :after, :change, -1 "
                "FROM pledges WHERE id = :id"
            ),
            {"id": pledge_id, "at": "2099-01-01 00:00:00.000000", "after": WITHDRAWN, "change": -amount},
        )
        db.session.commit()
        written = _changes()
        assert len(written) > 39
        assert sum(a for _, a, _ in written if a > 0) > 0 and written[-1][1:] == (-amount, -1)

        downgrade(revision="0019_grant_name_keys")
        assert "amount_change_pence" not in {c["name"] for c in sa.inspect(db.engine).get_columns("pledge_revisions")}
        db.session.remove()
        upgrade()
        assert _changes() == written
        db.session.remove()
        db.engine.dispose()
