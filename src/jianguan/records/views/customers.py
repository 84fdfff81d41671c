"""Finding and enrolling customers, identity reveal, member cards, manager panels, merge."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse

from jianguan.accounts.decorators import staff_view


def _todo(*args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


customer_list = staff_view("records.identity.view")(_todo)
customer_enrol = staff_view("records.customer.enrol")(_todo)
customer_edit = staff_view("records.identity.view")(_todo)
customer_reveal = staff_view("records.identity.reveal")(_todo)
card_issue = staff_view("records.card.manage")(_todo)
card_event = staff_view("records.card.manage")(_todo)
customer_merge = staff_view("records.customer.merge")(_todo)
manager_panel = staff_view("records.identity.view")(_todo)
