"""0019_grant_name_keys: the grants' stored recipient keys become the directory's duplicate keys on the way up,
and the old folding again on the way down; nothing else in the row changes."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from app.services.directory_names import duplicate_key
from config import TestConfig
from tests.test_migrations import fresh_url  # noqa: F401  (the fixture: a database of its own)

NAMES = ["The Grŵp Cymunedol Ltd", "St Mungo’s & Friends CIC", "Hulme Co-operative Limited"]
OLD_KEYS = ["grwp cymunedol", "st mungos friends", "hulme co operative"]


def _rows():
    rows = db.session.execute(sa.text("SELECT id, recipient_name, recipient_key, amount_pence FROM grants ORDER BY id"))
    out = [tuple(r) for r in rows]
    db.session.remove()
    return out


def test_the_keys_are_refolded_up_and_down(fresh_url, tmp_path):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=fresh_url, UPLOAD_DIR=str(tmp_path / "u"))
    with app.app_context():
        upgrade()
        from app.demo import seed_demo
        from app.demo_delivery import seed_delivery

        seed_demo()
        seed_delivery(30)
        db.session.commit()
        ids = [r[0] for r in _rows()[:3]]
        for grant_id, name in zip(ids, NAMES, strict=True):
            db.session.execute(
                sa.text("UPDATE grants SET recipient_name = :name WHERE id = :id"), {"name": name, "id": grant_id}
            )
        db.session.commit()
        db.session.remove()

        downgrade(revision="0019_file_storage")
        down = _rows()
        assert [r[2] for r in down[:3]] == OLD_KEYS

        upgrade()
        up = _rows()
        assert [r[2] for r in up] == [duplicate_key(r[1]) for r in up]
        assert [r[2] for r in up[:3]] == ["the grŵp cymunedol", "st mungos and friends cic", "hulme cooperative"]
        assert [(r[0], r[1], r[3]) for r in up] == [(r[0], r[1], r[3]) for r in down]  # only the keys changed
        db.session.remove()
        db.engine.dispose()
