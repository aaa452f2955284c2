"""The convenor's documents of a programme: the summary report (PDF) and the returns spreadsheet (XLSX), for a
range of periods chosen with ``?from=`` and ``?to=`` (the whole run by default)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app.exports import returns_xlsx
from app.infra import clock
from app.pdf.returns_report import build_summary
from app.returns.blueprint import bp
from app.services.errors import ValidationFailed
from app.services.returns import programmes, summary_links, totals
from app.web.downloads import send_private
from app.web.forms import FLASH, Refused, call_service
from app.web.support import ActionForm
from app.web.transaction import end_read


def _range(rows: list[dict]) -> list[dict]:
    keys = [r["period"] for r in rows]
    start, end = (
        request.args.get("from") or (keys[0] if keys else ""),
        request.args.get("to") or (keys[-1] if keys else ""),
    )
    if keys and (start not in keys or end not in keys or keys.index(start) > keys.index(end)):
        raise ValidationFailed(
            {"from": ["Choose a range of the programme's periods, first to last."]},
            "Choose a range of the programme's periods, first to last.",
        )
    return rows[keys.index(start) : keys.index(end) + 1] if keys else []


@bp.get("/programmes/<int:programme_id>/summary.pdf")
@login_required
def summary_pdf(programme_id: int):
    """The summary report: the convenor's, and every participating organisation's (it shows members' figures)."""
    programme = programmes.get_for_viewer(current_user, programme_id)
    rows = _range(totals.for_members(totals.series(programme)))
    title, body, sector = programme.title, programme.organisation.name, programme.sector_homes
    stories = totals.shared_stories(programme, [r["period"] for r in rows])
    end_read()  # the PDF takes a moment: hold no database lock meanwhile
    pdf = build_summary(title, body, rows, sector_homes=sector, generated_at=clock.now(), stories=stories)
    return send_private(pdf, f"programme-{programme_id}-summary.pdf", "pdf")


@bp.get("/programmes/<int:programme_id>/summary.xlsx")
@login_required
def summary_xlsx(programme_id: int):
    programme = programmes.get_for_convenor(current_user, programme_id)
    loaded = totals.load(programme)
    rows = _range(totals.series(programme, loaded))
    keys = {r["period"] for r in rows}
    measures = [m.as_dict() for m in programme.current_set.measures]
    per_org = [r for r in totals.per_organisation(programme, loaded) if r["period"] in keys]
    content = returns_xlsx.build(programme.title, measures, per_org, rows)
    return send_private(content, f"programme-{programme_id}-returns.xlsx", "xlsx")


@bp.post("/programmes/<int:programme_id>/summary/send")
@login_required
def send_summary(programme_id: int):
    """Email a private link to the summary report to every organisation that submitted in the range."""
    programme = programmes.get_for_convenor(current_user, programme_id)
    form = ActionForm()
    if not form.validate_on_submit():  # CSRF only: the app's CSRF handler answers first
        abort(400)
    sent = call_service(
        None,
        lambda: len(
            summary_links.send_summary(
                current_user, programme, request.form.get("from_period", ""), request.form.get("to_period", "")
            )
        ),
        message_to=FLASH,
    )
    if not isinstance(sent, Refused):
        flash(f"The summary report was sent to {sent} organisation{'s' if sent != 1 else ''}.", "success")
    return redirect(url_for("returns.show", programme_id=programme.id))
