"""Random and hostile form values: a clear message, or a clean save; never a 500, never a half-saved change."""

import string

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db, limiter
from app.models import AuditEvent, Bid, Invitation, Pledge, PledgeRevision
from tests.conftest import Browser, csrf_from
from tests.factories import BidFactory, member_of

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "-1",
        "0",
        "1e9",
        "£",
        "£-5",
        "1,2,3",
        "١٢٣",
        "\u202e0001",
        "1\u200b000",
        "NaN",
        "Infinity",
        "<script>alert(1)</script>",
        '=HYPERLINK("http://x")',
        "\x00",
        "9" * 40,
        "1.999",
        "0.001",
        "'; DROP TABLE pledges;--",
    ]
)
TEXT = st.one_of(HOSTILE, st.text(alphabet=string.printable + "£€\u202e\u200b", max_size=30))
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _counts():
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Pledge, PledgeRevision, AuditEvent, Bid, Invitation)
    )


def _setup(app):
    limiter.reset()  # many logins in one test: this is not what the login rate limit is for
    with app.app_context():
        bid = BidFactory()
        member = member_of(bid)
        db.session.commit()
        return bid.id, member.email, bid.created_by.email


@FAST
@given(amount=TEXT, homes=TEXT, region=st.sampled_from(["NW", "XX", "", "<b>"]), status=TEXT, terms=st.booleans())
def test_pledge_form_survives_anything(app, amount, homes, region, status, terms):
    bid_id, member_email, _ = _setup(app)
    client = app.test_client()
    Browser(client).login(member_email)
    page = client.get(f"/bids/{bid_id}/pledge").text
    with app.app_context():
        before = _counts()
    data = {
        "csrf_token": csrf_from(page),
        "amount": amount,
        "homes": homes,
        "regions": region,
        "statement": amount,
        "status": status,
        "version": "0",
    }
    if terms:
        data["accept_terms"] = "y"
    response = client.post(f"/bids/{bid_id}/pledge", data=data)
    assert response.status_code in (302, 422), response.status_code
    with app.app_context():
        after = _counts()
        if response.status_code == 422:
            assert after == before
            assert "There is a problem" in response.text
            assert "<script>alert(1)</script>" not in response.text
        else:
            assert after[0] == before[0] + 1 and after[1] == before[1] + 1
        db.session.execute(sa.delete(PledgeRevision))
        db.session.execute(sa.delete(Pledge))
        db.session.commit()


@FAST
@given(title=TEXT, target=TEXT, homes=TEXT, day=TEXT, time=TEXT, grace=TEXT)
def test_bid_form_survives_anything(app, title, target, homes, day, time, grace):
    _, _, convenor_email = _setup(app)
    client = app.test_client()
    Browser(client).login(convenor_email)
    page = client.get("/bids/new").text
    with app.app_context():
        before = _counts()
    response = client.post(
        "/bids/new",
        data={
            "csrf_token": csrf_from(page),
            "title": title,
            "funder_name": "F",
            "scheme": "S",
            "target": target,
            "target_homes": homes,
            "deadline_date": day,
            "deadline_time": time,
            "grace_minutes": grace,
            "action": "open",
        },
    )
    assert response.status_code in (302, 422), response.status_code
    with app.app_context():
        if response.status_code == 422:
            assert _counts() == before
            assert "There is a problem" in response.text


@FAST
@given(body=st.binary(max_size=300))
def test_invitation_upload_survives_any_bytes(app, body):
    bid_id, _, convenor_email = _setup(app)
    client = app.test_client()
    Browser(client).login(convenor_email)
    page = client.get(f"/bids/{bid_id}/invitations").text
    import io

    response = client.post(
        f"/bids/{bid_id}/invitations",
        data={
            "csrf_token": csrf_from(page),
            "kind": "bulk",
            "bulk-csrf_token": csrf_from(page),
            "bulk-file": (io.BytesIO(body), "list.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 422), response.status_code
