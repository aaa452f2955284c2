"""A JSON Schema compiled once into a plain Python predicate: "is this instance valid?", fast.

jsonschema walks the schema afresh for every instance (about 0.7 ms of CPU per 360Giving grant here), so
publishing 20,000 grants that way takes many seconds. ``compile_schema`` turns the same schema file into nested
closures that answer only valid or not, with jsonschema's meaning for each keyword (``pattern`` is
``re.search``, lengths count code points, ``number`` excludes booleans). It knows only the keywords listed in
``KEYWORDS`` and refuses (SchemaNotSupported) a schema that uses any other, so a keyword added to the schema
later can never be silently skipped. A list item's verdict depends on the item alone, so each ``items`` keyword
remembers the verdicts on flat items it has seen (grants share their funder, programme and place): the same
answer, looked up. The reasons an instance fails still come from jsonschema: the caller asks it only about
the instances this predicate rejects.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

#: Keywords that only describe (no effect on validity).
ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$comment", "examples", "$defs"})
#: Keywords the compiler implements.
KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "exclusiveMinimum",
        "minItems",
        "required",
        "properties",
        "additionalProperties",
        "dependentRequired",
        "items",
        "$ref",
        "not",
        "allOf",
        "if",
        "then",
        "else",
    }
)

_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


#: The most list items whose verdicts one ``items`` keyword remembers (then it starts again).
MEMO = 10_000
_SCALARS = (str, int, float, bool, type(None))


def _token(item: Any) -> tuple | None:
    """A hashable stand-in for a flat object (text, number, true/false or null values only): equal exactly when
    the objects are, the values' types included (``True`` and ``1`` differ). None for anything else."""
    if type(item) is not dict:
        return None
    token = []
    for key, value in item.items():
        if type(value) not in _SCALARS:
            return None
        token.append((key, type(value), value))
    return tuple(token)


class SchemaNotSupported(ValueError):
    """The schema uses something the compiler does not implement."""


def compile_schema(schema: dict) -> Check:
    """The schema as one predicate. Local ``$ref`` (``#/$defs/…``) only; each referenced schema compiled once."""
    compiled: dict[str, Check] = {}

    def ref(pointer: str) -> Check:
        if not pointer.startswith("#/"):
            raise SchemaNotSupported(f"only local references are supported, not {pointer!r}")
        if pointer not in compiled:
            compiled[pointer] = lambda v: compiled[pointer](v)  # placeholder, should the schema refer to itself
            target: Any = schema
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            compiled[pointer] = build(target)
        return compiled[pointer]

    def build(node: Any) -> Check:
        if node is True or node == {}:
            return lambda v: True
        if node is False:
            return lambda v: False
        if not isinstance(node, dict):
            raise SchemaNotSupported(f"a schema must be an object or a boolean, not {node!r}")
        unknown = set(node) - KEYWORDS - ANNOTATIONS
        if unknown:
            raise SchemaNotSupported(f"keywords not supported: {', '.join(sorted(unknown))}")
        checks = tuple(check for key in node if key in KEYWORDS and (check := keyword(key, node)) is not None)
        if len(checks) == 1:
            return checks[0]

        def every(v: Any) -> bool:
            for check in checks:  # noqa: SIM110 (a loop is faster than all() over a generator, and this is hot)
                if not check(v):
                    return False
            return True

        return every

    def keyword(key: str, node: dict) -> Check | None:
        value = node[key]
        if key == "type":
            names = [value] if isinstance(value, str) else list(value)
            if names in (["object"], ["array"], ["string"]):
                kind = {"object": dict, "array": list, "string": str}[names[0]]
                return lambda v: isinstance(v, kind)
            tests = [_TYPES[name] for name in names]
            return lambda v: any(test(v) for test in tests)
        if key in ("enum", "const"):
            options = value if key == "enum" else [value]
            if not all(isinstance(o, str) for o in options):
                raise SchemaNotSupported(f"{key} with values other than text")
            allowed = frozenset(options)
            return lambda v: isinstance(v, str) and v in allowed
        if key == "pattern":
            search = re.compile(value).search
            return lambda v: not isinstance(v, str) or search(v) is not None
        if key == "minLength":
            return lambda v: not isinstance(v, str) or len(v) >= value
        if key == "maxLength":
            return lambda v: not isinstance(v, str) or len(v) <= value
        if key == "exclusiveMinimum":
            number = _TYPES["number"]
            return lambda v: not number(v) or v > value
        if key == "minItems":
            return lambda v: not isinstance(v, list) or len(v) >= value
        if key == "required":
            names = frozenset(value)
            return lambda v: not isinstance(v, dict) or names.issubset(v)
        if key == "properties":
            props = {name: build(sub) for name, sub in value.items()}

            def properties(v: Any) -> bool:
                if isinstance(v, dict):
                    for name, item in v.items():
                        check = props.get(name)
                        if check is not None and not check(item):
                            return False
                return True

            return properties
        if key == "additionalProperties":
            known = frozenset(node.get("properties", {}))
            if value is False:
                return lambda v: not isinstance(v, dict) or known.issuperset(v)
            extra = build(value)
            return lambda v: not isinstance(v, dict) or all(extra(item) for k, item in v.items() if k not in known)
        if key == "dependentRequired":
            needs = {name: tuple(deps) for name, deps in value.items()}
            return lambda v: (
                not isinstance(v, dict)
                or all(all(dep in v for dep in deps) for name, deps in needs.items() if name in v)
            )
        if key == "items":
            each = build(value)
            verdicts: dict[tuple, bool] = {}

            def items(v: Any) -> bool:
                if isinstance(v, list):
                    for item in v:
                        token = _token(item)
                        if token is None:
                            ok = each(item)
                        elif (ok := verdicts.get(token)) is None:
                            if len(verdicts) >= MEMO:
                                verdicts.clear()
                            ok = verdicts[token] = each(item)
                        if not ok:
                            return False
                return True

            return items
        if key == "$ref":
            return ref(value)
        if key == "not":
            inner = build(value)
            return lambda v: not inner(v)
        if key == "allOf":
            parts = tuple(build(sub) for sub in value)

            def all_of(v: Any) -> bool:
                for part in parts:  # noqa: SIM110 (as above)
                    if not part(v):
                        return False
                return True

            return all_of
        if key == "if":
            condition = build(value)
            then = build(node.get("then", True))
            otherwise = build(node.get("else", True))
            return lambda v: then(v) if condition(v) else otherwise(v)
        return None  # "then" and "else" count only beside "if"

    return build(schema)
