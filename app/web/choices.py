"""Radio buttons and checkboxes of a choice field, as markup built once per field and choice.

WTForms renders each option through its widget, escaping and joining every attribute on every request: for the
pledge form's twelve region checkboxes and two radio buttons that was a tenth of the page. The markup of an
option depends only on the field's id and name and the choice, plus whether it is checked; ``choice_inputs``
keeps both forms of each and picks one. The output is what WTForms' own widgets write (attributes in the same
order), each in the ``choice`` wrapper of the form macro (templates/macros/forms.html).
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape
from wtforms import Field, SelectMultipleField


@lru_cache(maxsize=1024)
def _option(kind: str, field_id: str, name: str, index: int, value: str, label: str, required: bool) -> tuple[str, str]:
    """(unchecked, checked) markup of one option."""
    option_id = escape(f"{field_id}-{index}")
    required_attr = " required" if required else ""
    attrs = f'id="{option_id}" name="{escape(name)}"{required_attr} type="{kind}" value="{escape(value)}"'
    label_html = f' <label for="{option_id}">{escape(label)}</label></div>'
    return (
        f'<div class="choice"><input {attrs}>{label_html}',
        f'<div class="choice"><input checked {attrs}>{label_html}',
    )


def choice_inputs(field: Field) -> Markup:
    """Every option of a RadioField or a checkbox SelectMultipleField, checked as the field's data says."""
    multiple = isinstance(field, SelectMultipleField)
    kind = "checkbox" if multiple else "radio"
    data = field.data
    required = bool(getattr(field.flags, "required", False))  # as WTForms' Input widget adds it
    chosen = set(data or ()) if multiple else {data}
    parts = []
    for index, (value, label, _selected, _render_kw) in enumerate(field.iter_choices()):
        coerced = field.coerce(value)
        unchecked, checked = _option(kind, field.id, field.name, index, str(value), str(label), required)
        parts.append(checked if coerced in chosen else unchecked)
    return Markup("\n".join(parts))  # noqa: S704  (every value and label escaped in _option)
