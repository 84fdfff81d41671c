"""Forms of the member-card actions (会员卡): issue, change level, and the event buttons."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import choices

# The events a card button posts, with the label of the button. `replace` issues a new number;
# `change_level` takes a level from the form.
EVENTS = {
    "freeze": _("冻结"),
    "unfreeze": _("解冻"),
    "report_lost": _("挂失"),
    "replace": _("补换新卡"),
    "change_level": _("变更级别"),
}
# status → the events offered for a card in that status (the service enforces the same)
OFFERED = {
    "active": ["freeze", "report_lost", "replace"],
    "frozen": ["unfreeze", "report_lost", "replace"],
    "lost": ["replace"],
    "replaced": [],
}


class CardIssueForm(forms.Form):
    card_level = forms.ChoiceField(label=_("卡级别"), choices=choices.CARD_LEVELS)


class CardLevelForm(forms.Form):
    card_level = forms.ChoiceField(label=_("新级别"), choices=choices.CARD_LEVELS)


class CardEventForm(forms.Form):
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
