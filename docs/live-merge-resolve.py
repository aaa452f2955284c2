"""Resolve the three conflicts of merging branch ``live`` into main (run at the repository root, then delete)."""

import re
from pathlib import Path

CONFLICT = re.compile(r"<<<<<<< HEAD\n(.*?)=======\n(.*?)>>>>>>> live\n", re.S)


def resolve(path: str, choose) -> None:
    file = Path(path)
    file.write_text(CONFLICT.sub(lambda m: choose(m.group(1), m.group(2)), file.read_text()))


def blueprints(ours: str, theirs: str) -> str:
    if "import" in ours:  # main's new imports, and live's
        return ours + theirs
    listed = re.search(r"for bp in \((.*)\):", ours).group(1)  # main's list, then live's blueprint
    return f"    blueprints = ({listed})\n    for bp in (*blueprints, live_bp):\n"


resolve("app/__init__.py", blueprints)
resolve("templates/bids/dashboard.html", lambda ours, theirs: theirs)  # the members table is a partial now
resolve("templates/bids/member.html", lambda ours, theirs: '{% include "live/_status.html" %}\n' + ours)

# main added a Letter column to the members table, which live moved into templates/live/_members_convenor.html.
partial = Path("templates/live/_members_convenor.html")
text = partial.read_text()
status_header = '    <th scope="col">Status</th>\n'
text = text.replace(status_header, status_header + '    <th scope="col">Letter</th>\n')
letter_cell = (
    "      <td>{% if m.has_letter %}<a href=\"{{ url_for('letters.current_for_pledge', bid_id=bid.id, "
    'pledge_id=m.pledge_id) }}">Download<span class="visually-hidden"> the letter from '
    '{{ m.organisation_name }}</span></a>{% else %}<span class="tag tag-missing">Missing</span>{% endif %}</td>\n'
)
in_grace = '{% if m.in_grace %} <span class="tag">In grace</span>{% endif %}</td>\n'
text = text.replace(in_grace, in_grace + letter_cell)
text = text.replace(
    '<td class="num">{{ totals.homes|number }}</td><td colspan="3"></td></tr></tfoot>',
    '<td class="num">{{ totals.homes|number }}</td><td></td>'
    "<td>{{ members|selectattr('has_letter')|list|length }} of {{ members|length }}</td>"
    '<td colspan="2"></td></tr></tfoot>',
)
partial.write_text(text)
