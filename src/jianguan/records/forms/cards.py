"""Forms of the member-card actions (会员卡): issue, change level, and the event buttons."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..services.cards import RENEW_YEARS
from . import choices

# The events a card button posts, with the label of the button. `replace` issues a new number;
# `change_level` takes a level from the form.
EVENTS = {
    "freeze": pgettext_lazy("card action", "冻结"),
    "unfreeze": pgettext_lazy("card action", "解冻"),
    "report_lost": pgettext_lazy("card action", "挂失"),
    "replace": _("补换新卡"),
    "change_level": _("变更级别"),
    "renew": pgettext_lazy("card action", "续期"),
}
# status as shown (MemberCard.status_on) → the events offered (the service enforces the same);
# `renew` and `change_level` have their own forms.
OFFERED = {
    "active": ["freeze", "report_lost", "replace"],
    "frozen": ["unfreeze", "report_lost", "replace"],
    "lost": ["replace"],
    "replaced": [],
    "expired": [],
}


class CardIssueForm(forms.Form):
    card_level = forms.ChoiceField(label=_("卡级别"), choices=choices.CARD_LEVELS)


class CardLevelForm(forms.Form):
    card_level = forms.ChoiceField(label=_("新级别"), choices=choices.CARD_LEVELS)


class CardEventForm(forms.Form):
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class CardRenewForm(forms.Form):
    years = forms.TypedChoiceField(
        label=_("续期年限"),
        coerce=int,
        choices=[(n, _("%(n)d 年") % {"n": n}) for n in RENEW_YEARS],
        initial=1,
    )
