"""The customer 360° page and the health record's sections."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse

from jianguan.accounts.decorators import staff_view


def _todo(*args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


customer_360 = staff_view("records.identity.view")(_todo)
vitals_add = staff_view("records.clinical.edit")(_todo)
section_add = staff_view("records.clinical.edit")(_todo)
section_edit = staff_view("records.clinical.edit")(_todo)
visit_conclusions = staff_view("records.clinical.edit")(_todo)
