"""The directory API: list with filters and pages, create, read, change, merge, import; and inviting from it."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app.extensions import db
from app.models import DirectoryEntry, Invitation
from app.services import directory_edits, directory_members
from tests import factories as f
from tests.api.conftest import token_for


@pytest.fixture
def dworld(committed):
    """Body X's convenor with a bid and a directory (a member organisation with an account, two entries by
    hand, one tagged); body Y's convenor; the member."""

    def build():
        bid = f.BidFactory()
        convenor = bid.created_by
        member = f.member_of(bid, name="Riverside Homes")
        invitation = db.session.scalar(sa.select(Invitation).where(Invitation.email == member.email))
        directory_members.note_invited(bid, [invitation])
        directory_members.note_accepted(invitation, member)
        linked = db.session.scalar(
            sa.select(DirectoryEntry).where(DirectoryEntry.organisation_id == member.organisation_id)
        )
        alpha = directory_edits.add_organisation(
            convenor, {"name": "Alpha Homes"}, contact={"email": "a@alpha.example"}, tags=["Wales"]
        )
        alpha_ltd = directory_edits.add_organisation(
            convenor, {"name": "Alpha Homes Ltd"}, contact={"email": "b@alpha.example"}
        )
        other = f.ConvenorFactory()
        db.session.flush()
        return {
            "bid": bid.id,
            "convenor": token_for(convenor),
            "other_convenor": token_for(other),
            "member": token_for(member),
            "linked": linked.id,
            "alpha": alpha.id,
            "alpha_ltd": alpha_ltd.id,
        }

    return committed(build)


def test_list_filters_and_pages(api, dworld):
    everyone = api.get("/directory/organisations", dworld["convenor"]).get_json()
    assert everyone["total"] == 3
    assert [o["name"] for o in everyone["items"]] == ["Alpha Homes", "Alpha Homes Ltd", "Riverside Homes"]
    assert everyone["items"][2]["has_account"] is True
    assert [
        o["name"] for o in api.get("/directory/organisations?tag=wales", dworld["convenor"]).get_json()["items"]
    ] == ["Alpha Homes"]
    assert api.get("/directory/organisations?q=b%40alpha", dworld["convenor"]).get_json()["total"] == 1
    paged = api.get("/directory/organisations?per_page=2&page=2", dworld["convenor"]).get_json()
    assert (paged["page"], len(paged["items"])) == (2, 1)
    assert api.get("/directory/organisations?colour=red", dworld["convenor"]).status_code == 422


def test_create_read_change(api, dworld):
    token = dworld["convenor"]
    created = api.post(
        "/directory/organisations",
        token,
        json={
            "name": "Beta Homes",
            "homes_owned": 12,
            "regions": ["WAL"],
            "tags": ["CECI"],
            "contact": {"email": "Ann@Beta.example"},
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["homes_owned"], body["regions"], body["tags"]) == (12, ["WAL"], ["CECI"])
    assert body["contacts"][0] == {
        "id": body["contacts"][0]["id"],
        "name": "",
        "email": "ann@beta.example",
        "job_title": "",
        "primary": True,
        "has_account": False,
    }
    assert created.headers["Location"].endswith(f"/directory/organisations/{body['id']}")
    bad = api.post("/directory/organisations", token, json={"name": "", "website": "not a site"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"name", "website"}
    changed = api.patch(f"/directory/organisations/{body['id']}", token, json={"website": "beta.example"})
    assert changed.get_json()["website"] == "https://beta.example"
    own = api.patch(f"/directory/organisations/{dworld['linked']}", token, json={"homes_owned": 5})
    assert own.status_code == 422
    assert "keeps its own profile" in own.get_json()["errors"]["homes_owned"][0]
    assert api.patch(f"/directory/organisations/{dworld['linked']}", token, json={"tags": ["Wales"]}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", "/directory/organisations/{alpha}", None),
        ("PATCH", "/directory/organisations/{alpha}", {"tags": ["x"]}),
        ("POST", "/directory/organisations/{alpha_ltd}/merge", {"into": "{alpha}"}),
    ],
)
@pytest.mark.parametrize(("who", "status"), [("convenor", 200), ("other_convenor", 404), ("member", 404), (None, 401)])
def test_permissions(api, dworld, method, path, json, who, status):
    url = path.format(**dworld)
    if json and "into" in json:
        json = {"into": dworld["alpha"]}
    response = api.call(method, url, dworld[who] if who else None, json=json)
    assert response.status_code == status, response.get_json()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/directory/organisations"), ("POST", "/directory/organisations"), ("POST", "/directory/import")],
)
def test_members_are_refused_the_directory(api, dworld, method, path):
    json = {"name": "X"} if path.endswith("organisations") and method == "POST" else None
    response = api.call(
        method,
        path,
        dworld["member"],
        json=json,
        **({"data": b"Organisation\nX\n", "content_type": "text/csv"} if path.endswith("import") else {}),
    )
    assert response.status_code == 403
    other = api.get("/directory/organisations", dworld["other_convenor"]).get_json()
    assert other["total"] == 0


def test_member_reads_their_own_entry(api, dworld):
    assert (
        api.get(f"/directory/organisations/{dworld['linked']}", dworld["member"]).get_json()["name"]
        == "Riverside Homes"
    )


def test_merge_and_the_merged_id_is_gone(api, dworld):
    token = dworld["convenor"]
    merged = api.post(f"/directory/organisations/{dworld['alpha_ltd']}/merge", token, json={"into": dworld["alpha"]})
    assert merged.status_code == 200
    assert sorted(c["email"] for c in merged.get_json()["contacts"]) == ["a@alpha.example", "b@alpha.example"]
    assert api.get(f"/directory/organisations/{dworld['alpha_ltd']}", token).status_code == 404
    assert (
        api.post(f"/directory/organisations/{dworld['alpha']}/merge", token, json={"into": dworld["alpha"]}).status_code
        == 422
    )


def test_import_csv_and_xlsx(api, dworld):
    token = dworld["convenor"]
    csv_body = "Organisation;Email\nGamma;g@x.example\nDelta;nope\n".encode("cp1252")
    report = api.post("/directory/import", token, data=csv_body, content_type="text/csv").get_json()
    assert (report["added"], report["refused"]) == (1, 1)
    assert report["refused_text"] == "organisation;email\nDelta;nope\n"
    book = Workbook()
    book.active.append(["Organisation", "Email"])
    book.active.append(["Epsilon", "e@x.example"])
    out = io.BytesIO()
    book.save(out)
    xlsx = api.post(
        "/directory/import",
        token,
        data=out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert xlsx.get_json()["added"] == 1
    wrong = api.post("/directory/import", token, data=b"Colour\nred\n", content_type="text/csv")
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"]["file"][0].startswith("The first row must name the columns")
    assert api.post("/directory/import", token, data=b"x", content_type="text/plain").status_code == 422


def test_inviting_by_organisation_ids_and_tag(api, dworld, committed, outbox):
    token = dworld["convenor"]
    by_tag = api.post(f"/bids/{dworld['bid']}/invitations", token, json={"tag": "Wales"}).get_json()
    assert (by_tag["invited"], by_tag["refused"]) == (1, 0)
    assert by_tag["results"][0]["email"] == "a@alpha.example"
    by_ids = api.post(
        f"/bids/{dworld['bid']}/invitations",
        token,
        json={"organisation_ids": [dworld["alpha"], dworld["alpha_ltd"], dworld["linked"]]},
    ).get_json()
    assert by_ids["invited"] == 1
    assert sorted(r["reason"] for r in by_ids["results"] if r["status"] == "refused") == [
        "Skipped: already invited to this bid.",
        "Skipped: already invited to this bid.",
    ]
    both = api.post(f"/bids/{dworld['bid']}/invitations", token, json={"tag": "Wales", "organisation_ids": [1]})
    assert both.status_code == 422
    foreign = api.post(f"/bids/{dworld['bid']}/invitations", dworld["other_convenor"], json={"tag": "Wales"})
    assert foreign.status_code == 404
    unknown = api.post(f"/bids/{dworld['bid']}/invitations", token, json={"organisation_ids": [999999]})
    assert unknown.status_code == 422
