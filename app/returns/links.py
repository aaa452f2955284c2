"""The summary report's private links: the convenor's list of them (with withdraw), and the page a link opens,
which needs no login: the members' view of the report for the range sent, as a PDF."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.infra import clock
from app.pdf.returns_report import build_summary
from app.returns.blueprint import bp
from app.services.errors import TokenInvalid
from app.services.returns import programmes, summary_links
from app.web.downloads import send_private
from app.web.support import ActionForm
from app.web.transaction import end_read


@bp.get("/programmes/<int:programme_id>/summary/links")
@login_required
def summary_links_page(programme_id: int):
    programme = programmes.get_for_convenor(current_user, programme_id)
    links = summary_links.links_for(current_user, programme)
    return render_template(
        "returns/links.html", programme=programme, links=links, state=summary_links.link_state, form=ActionForm()
    )


@bp.post("/programmes/<int:programme_id>/summary/links/<int:link_id>/revoke")
@login_required
def revoke_summary_link(programme_id: int, link_id: int):
    programme = programmes.get_for_convenor(current_user, programme_id)
    if not ActionForm().validate_on_submit():  # CSRF only: the app's CSRF handler answers first
        abort(400)
    # its only refusals are a link of another programme (404) and a member (403): the app's handlers answer them
    done = summary_links.revoke_link(current_user, programme, link_id)
    flash(f"The link sent to {done.email} no longer works.", "success")
    return redirect(url_for("returns.summary_links_page", programme_id=programme.id))


@bp.get("/s/<token>")
def shared_summary(token: str):
    """The summary report through a private link: 404 for a link never genuine, 410 for one that ended."""
    try:
        link = summary_links.open_link(token)
    except TokenInvalid as exc:
        status = 404 if exc.reason == "tampered" else 410
        page = render_template("returns/link_invalid.html", message=exc.message, reason=exc.reason)
        return _private(page, status)
    programme, rows, stories = summary_links.report_for(link)
    title, body, sector = programme.title, programme.organisation.name, programme.sector_homes
    end_read()  # the PDF takes a moment: hold no database lock meanwhile
    pdf = build_summary(title, body, rows, sector_homes=sector, generated_at=clock.now(), stories=stories)
    return _private(send_private(pdf, f"programme-{programme.id}-summary.pdf", "pdf"))


def _private(response, status: int | None = None):
    from flask import make_response

    response = make_response(response, status) if status else make_response(response)
    # The token is in the address: never leak it in a Referer header, and keep it out of search engines.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    return response
