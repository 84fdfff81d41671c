"""Navigation for the staff shell: only the entries the user's roles may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

NAV: list[tuple[str, Any, str | None]] = [
    ("web:dashboard", _("工作台"), None),
    ("records:customer_list", _("客户"), "records.identity.view"),
    ("records:panel", _("我的客户"), "records.clinical.view"),
    ("risk:population", _("人群风险"), "risk.population.view"),
    ("accounts:user_list", _("用户与角色"), "accounts.user.view"),
    ("audit:entry_list", _("审计日志"), "audit.ledger.view"),
    ("web:key_status", _("密钥状态"), "security.keys.view"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    from jianguan.accounts.matrix import allowed

    roles = user.role_codes
    items = []
    for url_name, label, cap in NAV:
        if cap is None or allowed(roles, cap):
            items.append(
                {
                    "url": reverse(url_name),
                    "label": label,
                    "active": request.path == reverse(url_name),
                }
            )
    return {"nav": items}
