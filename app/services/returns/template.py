"""The ready-made starting set of measures a convenor edits when setting up a programme."""

from __future__ import annotations

from typing import Any

#: The ready-made starting set, after the themes a community-investment centre published in spring 2020. No
#: monetary "social value" figures: a convenor enters their own licensed unit values if they have them.
TEMPLATE: list[dict[str, Any]] = [
    {
        "code": "WELFARE_CALLS",
        "label": "Welfare calls to vulnerable residents",
        "unit": "count",
        "kind": "flow",
        "help": "Calls made this month to check on residents at risk.",
        "required": True,
    },
    {
        "code": "ADVICE",
        "label": "Residents given advice and guidance",
        "unit": "count",
        "kind": "flow",
        "help": "Residents given money, benefits or tenancy advice.",
        "required": True,
    },
    {
        "code": "FIN_SUPPORT",
        "label": "Direct financial support (£)",
        "unit": "pence",
        "kind": "flow",
        "help": "Hardship grants and other money given to residents.",
        "required": True,
    },
    {
        "code": "FOOD_SUPPORT",
        "label": "Food parcels and other food support",
        "unit": "count",
        "kind": "flow",
        "help": "Parcels, vouchers and meals delivered or funded.",
        "required": True,
    },
    {
        "code": "REPEAT_SUPPORT",
        "label": "Households supported more than once",
        "unit": "count",
        "kind": "flow",
        "help": "",
        "required": False,
    },
    {
        "code": "STAFF_REDEPLOYED",
        "label": "Staff redeployed (FTE)",
        "unit": "fte",
        "kind": "stock",
        "help": "Staff working on the response at the end of the month.",
        "required": False,
    },
    {
        "code": "ARREARS_RISK",
        "label": "Residents at risk of arrears",
        "unit": "count",
        "kind": "stock",
        "help": "The number at the end of the month.",
        "required": True,
    },
    {
        "code": "COMMUNITY_GRANTS",
        "label": "Invested in community groups (£)",
        "unit": "pence",
        "kind": "flow",
        "help": "",
        "required": False,
    },
]
