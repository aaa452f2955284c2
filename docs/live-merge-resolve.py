"""Resolve the three conflicts of merging branch live into main (run at the repository root)."""
import re

p = "app/__init__.py"
s = open(p).read()
s = s.replace(
    "<<<<<<< HEAD\n    from app.letters.routes import bp as letters_bp\n=======\n    from app.live.routes import bp as live_bp\n>>>>>>> live\n",
    "    from app.letters.routes import bp as letters_bp\n    from app.live.routes import bp as live_bp\n",
)
s = re.sub(
    r"<<<<<<< HEAD\n    for bp in \((.*?)\):\n=======\n.*?>>>>>>> live\n",
    lambda m: f"    blueprints = ({m.group(1)})\n    for bp in (*blueprints, live_bp):\n",
    s,
    flags=re.S,
)
open(p, "w").write(s)

p = "templates/bids/dashboard.html"
s = open(p).read()
s = re.sub(r"<<<<<<< HEAD\n.*?=======\n(<div data-live-fragment=\"members\">.*?</div>\n)>>>>>>> live\n", r"\1", s, flags=re.S)
open(p, "w").write(s)

p = "templates/bids/member.html"
s = open(p).read()
m = re.search(r"<<<<<<< HEAD\n(.*?)=======\n(.*?)>>>>>>> live\n", s, flags=re.S)
s = s[: m.start()] + '{% include "live/_status.html" %}\n' + m.group(1) + s[m.end() :]
open(p, "w").write(s)

# main added a Letter column to the members table, which live moved into a partial.
p = "templates/live/_members_convenor.html"
s = open(p).read()
s = s.replace('    <th scope="col">Status</th>\n', '    <th scope="col">Status</th>\n    <th scope="col">Letter</th>\n')
s = s.replace(
    '{% if m.in_grace %} <span class="tag">In grace</span>{% endif %}</td>\n',
    '{% if m.in_grace %} <span class="tag">In grace</span>{% endif %}</td>\n'
    "      <td>{% if m.has_letter %}<a href=\"{{ url_for('letters.current_for_pledge', bid_id=bid.id, "
    'pledge_id=m.pledge_id) }}">Download<span class="visually-hidden"> the letter from {{ m.organisation_name }}'
    '</span></a>{% else %}<span class="tag tag-missing">Missing</span>{% endif %}</td>\n',
)
s = s.replace(
    '<td class="num">{{ totals.homes|number }}</td><td colspan="3"></td></tr></tfoot>',
    "<td class=\"num\">{{ totals.homes|number }}</td><td></td><td>{{ members|selectattr('has_letter')|list|length }}"
    ' of {{ members|length }}</td><td colspan="2"></td></tr></tfoot>',
)
open(p, "w").write(s)
