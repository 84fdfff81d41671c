"""Reading the record: every read goes through `for_actor` (D-14); lookups of encrypted values
go through their blind index and are confirmed by decrypting (BI-03)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from jianguan.core.actors import Actor
from jianguan.core.blind import normalise_text

from . import identifiers as ids
from .models import Customer, CustomerIdentifier, MemberCard

IDENTITY = "records.identity.view"


def valid_card() -> Q:
    """A member card a customer may use today: active and within its validity."""
    today = dt.date.today()
    return Q(status="active") & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))


def customers_for(actor: Actor, capability: str = IDENTITY) -> QuerySet[Customer]:
    return Customer.objects.for_actor(actor, capability).filter(status="active")


def customer_for(
    actor: Actor, customer_id: uuid.UUID | str, capability: str = IDENTITY
) -> Customer | None:
    try:
        wanted = uuid.UUID(str(customer_id))
    except ValueError:
        return None
    return customers_for(actor, capability).filter(pk=wanted).first()


def _index(
    field_name: str, institution_id: uuid.UUID, *values: Any, model: Any = Customer
) -> int | None:
    return model._meta.get_field(field_name).compute(model, institution_id, *values)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return a == b
    return normalise_text(str(a or "")) == normalise_text(str(b or ""))


def by_mobile(actor: Actor, mobile: str, capability: str = IDENTITY) -> list[Customer]:
    assert actor.institution_id is not None
    idx = _index("mobile_index", actor.institution_id, mobile)
    rows = customers_for(actor, capability).filter(mobile_index=idx)
    return [c for c in rows if _same(c.mobile, mobile)]


def by_name(actor: Actor, name: str, capability: str = IDENTITY) -> list[Customer]:
    assert actor.institution_id is not None
    idx = _index("name_index", actor.institution_id, name)
    rows = customers_for(actor, capability).filter(name_index=idx)
    return [c for c in rows if _same(c.name, name)]


def by_name_and_birth(
    actor: Actor, name: str, birth_date: dt.date, capability: str = IDENTITY
) -> list[Customer]:
    assert actor.institution_id is not None
    idx = _index("name_birth_index", actor.institution_id, name, birth_date)
    rows = customers_for(actor, capability).filter(name_birth_index=idx)
    return [c for c in rows if _same(c.name, name) and c.birth_date == birth_date]


def by_identifier(
    actor: Actor, kind: str, value: str, capability: str = IDENTITY
) -> list[Customer]:
    assert actor.institution_id is not None
    value = ids.normalise(value)
    idx = _index("value_index", actor.institution_id, kind, value, model=CustomerIdentifier)
    rows = CustomerIdentifier.objects.for_actor(actor, capability).filter(value_index=idx)
    customer_ids = [r.customer_id for r in rows if r.type == kind and _same(r.value, value)]
    return list(customers_for(actor, capability).filter(pk__in=customer_ids))


def by_card(actor: Actor, number: str, capability: str = IDENTITY) -> list[Customer]:
    cards = MemberCard.objects.for_actor(actor, capability).filter(number=number.strip())
    return list(customers_for(actor, capability).filter(pk__in=[c.customer_id for c in cards]))


def find_duplicates(
    actor: Actor,
    *,
    name: str,
    birth_date: dt.date | None,
    mobile: str,
    identifier: ids.CheckedIdentifier | None,
) -> list[tuple[uuid.UUID, str]]:
    """Existing customers with the same ID number, mobile, or name + birth date (D-29)."""
    found: dict[uuid.UUID, str] = {}
    capability = "records.customer.enrol"
    if identifier is not None:
        for c in by_identifier(actor, identifier.type, identifier.value, capability):
            found.setdefault(c.pk, "id_number")
    if mobile:
        for c in by_mobile(actor, mobile, capability):
            found.setdefault(c.pk, "mobile")
    if birth_date is not None:
        for c in by_name_and_birth(actor, name, birth_date, capability):
            found.setdefault(c.pk, "name_birth")
    return list(found.items())


# --- lists, panels and the search box (views/customers.py) --------------------------------------

PAGE_SIZE = 50
# A list counts at most this many rows and pages at most this far with OFFSET: both stay cheap at
# 100,000 customers; beyond it the user narrows the filters (issue 3 performance).
COUNT_CAP = 10_000
SEARCH_CAP = 500
HEALTH_MANAGER = "health_manager"

SORTS: dict[str, tuple[Any, ...]] = {
    "new": ("-created", "-id"),
    "old": ("created", "id"),
    "young": (F("birth_year").desc(nulls_last=True), "-created", "-id"),
    "elder": (F("birth_year").asc(nulls_last=True), "-created", "-id"),
}


@dataclass(frozen=True)
class CustomerFilter:
    """Filters of the customer list and panels: plaintext, indexed columns only (D-01)."""

    manager_id: uuid.UUID | None = None
    unassigned: bool = False
    sex: str = ""
    age_min: int | None = None
    age_max: int | None = None
    card_level: str = ""
    sort: str = "new"


@dataclass
class CustomerPage:
    customers: list[Customer]
    number: int
    total: int  # capped at COUNT_CAP + 1
    page_size: int = PAGE_SIZE

    @property
    def total_capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def num_pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass
class CustomerRow:
    """What a list row shows: decrypted only for the rows of the page, identifiers masked."""

    customer: Customer
    name: str
    age: int | None
    mobile_masked: str
    id_type: str
    id_masked: str
    card_number: str
    card_level: str
    manager_label: str


def filtered_customers(actor: Actor, flt: CustomerFilter) -> QuerySet[Customer]:
    qs = customers_for(actor)
    if flt.manager_id is not None:
        qs = qs.filter(manager_id=flt.manager_id)
    elif flt.unassigned:
        qs = qs.filter(manager__isnull=True)
    if flt.sex:
        qs = qs.filter(sex=flt.sex)
    this_year = dt.date.today().year
    if flt.age_min is not None:
        qs = qs.filter(birth_year__lte=this_year - flt.age_min)
    if flt.age_max is not None:
        qs = qs.filter(birth_year__gte=this_year - flt.age_max)
    if flt.card_level:
        cards = MemberCard.objects.for_actor(actor, IDENTITY).filter(
            valid_card(), customer_id=OuterRef("pk"), level=flt.card_level
        )
        qs = qs.filter(Exists(cards))
    return qs.order_by(*SORTS.get(flt.sort, SORTS["new"]))


def customer_page(actor: Actor, flt: CustomerFilter, page: int) -> CustomerPage:
    """One page of the filtered list: a capped count and a bounded OFFSET, never a full scan."""
    qs = filtered_customers(actor, flt)
    total = qs.order_by()[: COUNT_CAP + 1].count()
    number = max(1, min(page, -(-min(total, COUNT_CAP) // PAGE_SIZE) or 1))
    start = (number - 1) * PAGE_SIZE
    # The page's ids first, sorted within an index (Customer.Meta); then only those rows with
    # their encrypted columns. Sorting whole rows cost 100–200 ms at 100,000 customers.
    ids = list(qs.values_list("pk", flat=True)[start : start + PAGE_SIZE])
    found = {c.pk: c for c in customers_for(actor).filter(pk__in=ids)}
    return CustomerPage([found[pk] for pk in ids if pk in found], number, total)


def customers_by_ids(actor: Actor, ids: list[str], page: int) -> CustomerPage:
    """A page of a stored search (D-15); the ids are re-scoped to the actor, never trusted."""
    pks: list[uuid.UUID] = []
    for raw in ids[:SEARCH_CAP]:
        try:
            pks.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    number = max(1, min(page, -(-len(pks) // PAGE_SIZE) or 1))
    wanted = pks[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    found = {c.pk: c for c in customers_for(actor).filter(pk__in=wanted)}
    return CustomerPage([found[pk] for pk in wanted if pk in found], number, len(pks))


def _age(customer: Customer, today: dt.date) -> int | None:
    born = customer.birth_date
    if isinstance(born, dt.date):
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return today.year - customer.birth_year if customer.birth_year else None


def primary_identifiers(actor: Actor, customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    rows = CustomerIdentifier.objects.for_actor(actor, IDENTITY).filter(
        customer_id__in=customer_ids, is_primary=True
    )
    return {r.customer_id: r for r in rows}


def active_cards(actor: Actor, customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, MemberCard]:
    rows = (
        MemberCard.objects.for_actor(actor, IDENTITY)
        .filter(valid_card(), customer_id__in=customer_ids)
        .order_by("valid_from", "created")
    )
    return {c.customer_id: c for c in rows}  # the newest valid card wins


def list_rows(actor: Actor, customers: list[Customer]) -> list[CustomerRow]:
    """Rows for a list page in a fixed number of queries, whatever the page size (no N+1)."""
    pks = [c.pk for c in customers]
    idents = primary_identifiers(actor, pks)
    cards = active_cards(actor, pks)
    managers = staff_labels(actor, [c.manager_id for c in customers if c.manager_id])
    today = dt.date.today()
    rows = []
    for c in customers:
        ident = idents.get(c.pk)
        card = cards.get(c.pk)
        mobile = c.mobile if isinstance(c.mobile, str) else ""
        value = ident.value if ident is not None and isinstance(ident.value, str) else ""
        rows.append(
            CustomerRow(
                customer=c,
                name=str(c.name or ""),
                age=_age(c, today),
                mobile_masked=ids.mask_mobile(mobile) if mobile else "",
                id_type=ident.type if ident is not None else "",
                id_masked=ids.mask_identifier(value) if value else "",
                card_number=card.number if card else "",
                card_level=card.level if card else "",
                manager_label=managers.get(c.manager_id, "") if c.manager_id else "",
            )
        )
    return rows


# --- staff names (through the accounts selectors) -------------------------------------------------


def _staff(actor: Actor) -> QuerySet[Any]:
    # Any staff member may see which colleague manages a customer; the accounts capability
    # (accounts.user.view) is for the user administration, so a system actor scoped to the
    # actor's own institution reads the names.
    from jianguan.accounts import selectors as accounts

    if actor.institution_id is None:
        return accounts.users_for(Actor.anonymous()).none()
    system = Actor.system("records.staff_names", actor.institution_id)
    return accounts.users_for(system).prefetch_related(None)


def _label(user: Any) -> str:
    name = user.full_name
    return f"{name}（{user.username}）" if isinstance(name, str) and name else str(user.username)


def staff_labels(actor: Actor, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    return {u.pk: _label(u) for u in _staff(actor).filter(pk__in=set(user_ids))}


def health_managers(actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Active health managers of the actor's institution: the choices for assignment."""
    rows = (
        _staff(actor)
        .filter(is_active=True, role_grants__role=HEALTH_MANAGER)
        .distinct()
        .order_by("username")
    )
    return [(u.pk, _label(u)) for u in rows]


def staff_member(actor: Actor, user_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    """A user of the actor's institution (a panel's manager), or None — also for other
    institutions' ids (D-13)."""
    user = _staff(actor).filter(pk=user_id).first()
    return (user.pk, _label(user)) if user is not None else None


# --- the search box: ID number, mobile, card number or exact name (D-15, D-29) -------------------

SEARCH_ID = "id_number"
SEARCH_MOBILE = "mobile"
SEARCH_CARD = "card"
SEARCH_DOCUMENT = "document"
SEARCH_NAME = "name"
_EIGHTEEN = re.compile(r"[0-9]{17}[0-9X]")  # ASCII digits only, as identifiers.py
_DOCUMENT = re.compile(r"(?=.*\d)[A-Z0-9\-]{5,40}")


def search_kind(text: str) -> str:
    """What a search text is, from its shape: 18 characters → an ID number of any 18-digit type,
    11 digits starting with 1 → a mobile, 12 digits with a valid Luhn digit → a card, letters and
    digits → another document (passport, permit, MRN), anything else → a name."""
    value = ids.normalise(text)
    if _EIGHTEEN.fullmatch(value):
        return SEARCH_ID
    try:
        ids.normalise_mobile(text)
    except ids.InvalidIdentifier:
        pass
    else:
        return SEARCH_MOBILE
    from .services.cards import valid_card_number

    if valid_card_number(value):
        return SEARCH_CARD
    if _DOCUMENT.fullmatch(value):
        return SEARCH_DOCUMENT
    return SEARCH_NAME


def search_customers(actor: Actor, text: str) -> tuple[str, list[Customer]]:
    """Exact lookups through the blind indexes, confirmed by decrypting; newest first."""
    kind = search_kind(text)
    value = ids.normalise(text)
    found: list[Customer] = []
    if kind == SEARCH_ID:
        for id_type in sorted(ids.EIGHTEEN_DIGIT):
            found += by_identifier(actor, id_type, value)
    elif kind == SEARCH_MOBILE:
        found = by_mobile(actor, ids.normalise_mobile(text))
    elif kind == SEARCH_CARD:
        found = by_card(actor, value)
    elif kind == SEARCH_DOCUMENT:
        for id_type in (ids.PASSPORT, ids.HMT_TRAVEL_PERMIT, ids.MRN):
            found += by_identifier(actor, id_type, value)
    else:
        found = by_name(actor, " ".join(text.split()))
    unique = {c.pk: c for c in found}
    return kind, sorted(unique.values(), key=lambda c: c.created, reverse=True)[:SEARCH_CAP]


# --- panels ---------------------------------------------------------------------------------------


def panel_counts(actor: Actor, manager_id: uuid.UUID) -> dict[str, int]:
    """Counts for a manager's panel, from plaintext columns in two queries."""
    since = dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=30)
    qs = customers_for(actor).filter(manager_id=manager_id)
    counts = qs.aggregate(
        total=Count("id"),
        male=Count("id", filter=Q(sex="M")),
        female=Count("id", filter=Q(sex="F")),
        recent=Count("id", filter=Q(created__gte=since)),
    )
    cards = MemberCard.objects.for_actor(actor, IDENTITY).filter(
        valid_card(), customer_id=OuterRef("pk")
    )
    counts["with_card"] = qs.filter(Exists(cards)).count()
    return {k: int(v or 0) for k, v in counts.items()}


# --- the customer 360° page and the record's sections (views/record.py) --------------------------

CLINICAL = "records.clinical.view"


def customer_exists_elsewhere(actor: Actor, customer_id: uuid.UUID) -> bool:
    """Whether a denied id belongs to another institution: only the denial's audit reason says it
    (D-13); the answer to the user is the same 404."""
    return (
        Customer.objects.unscoped(reason="denial audit reason")
        .filter(pk=customer_id)
        .exclude(institution_id=actor.institution_id)
        .exists()
    )


@dataclass
class HeaderFacts:
    """The 360° header in a fixed number of queries; clinical facts only for clinical roles."""

    identifier: CustomerIdentifier | None
    card: MemberCard | None
    manager_label: str
    clinical: bool = False
    allergies: int = 0
    chronic_conditions: int = 0
    medications: int = 0
    last_visit: dt.date | None = None


def header_facts(actor: Actor, customer: Customer) -> HeaderFacts:
    from django.db.models import Max

    from .models import Allergy, HistoryItem, Medication, Visit

    ident = (
        CustomerIdentifier.objects.for_actor(actor, IDENTITY)
        .filter(customer_id=customer.pk)
        .order_by("-is_primary", "created")
        .first()
    )
    card = (
        MemberCard.objects.for_actor(actor, IDENTITY)
        .filter(valid_card(), customer_id=customer.pk)
        .order_by("-valid_from", "-created")
        .first()
    )
    managers = staff_labels(actor, [customer.manager_id] if customer.manager_id else [])
    manager = managers.get(customer.manager_id, "") if customer.manager_id else ""
    facts = HeaderFacts(ident, card, manager)
    if not actor.can(CLINICAL):
        return facts
    facts.clinical = True
    facts.allergies = Allergy.objects.for_actor(actor, CLINICAL).filter(customer=customer).count()
    facts.medications = (
        Medication.objects.for_actor(actor, CLINICAL).filter(customer=customer, active=True).count()
    )
    # The status is encrypted (D-01): decrypt the conditions' statuses only, not their names.
    conditions = HistoryItem.objects.for_actor(actor, CLINICAL).filter(
        customer=customer, kind="condition"
    )
    facts.chronic_conditions = sum(1 for c in conditions if c.clinical_status != "resolved")
    facts.last_visit = (
        Visit.objects.for_actor(actor, CLINICAL)
        .filter(customer=customer)
        .aggregate(last=Max("visit_date"))["last"]
    )
    return facts


def identifiers_of(actor: Actor, customer: Customer) -> list[CustomerIdentifier]:
    return list(
        CustomerIdentifier.objects.for_actor(actor, IDENTITY)
        .filter(customer_id=customer.pk)
        .order_by("-is_primary", "created")
    )


@dataclass
class HistorySections:
    items: dict[str, list[Any]]  # HistoryItem.kind → rows
    family: list[Any]
    allergies: list[Any]
    medications: list[Any]
    lifestyle: Any | None


def history_of(actor: Actor, customer: Customer) -> HistorySections:
    """Every history section in five queries, whatever their length."""
    from .models import Allergy, FamilyHistory, HistoryItem, Lifestyle, Medication

    items: dict[str, list[Any]] = {kind: [] for kind, _label in HistoryItem.KINDS}
    for row in (
        HistoryItem.objects.for_actor(actor, CLINICAL)
        .filter(customer=customer)
        .order_by("created", "id")
    ):
        items.setdefault(row.kind, []).append(row)

    def rows(model: Any, *order: str) -> list[Any]:
        return list(
            model.objects.for_actor(actor, CLINICAL).filter(customer=customer).order_by(*order)
        )

    return HistorySections(
        items=items,
        family=rows(FamilyHistory, "created", "id"),
        allergies=rows(Allergy, "created", "id"),
        medications=rows(Medication, "-active", "created", "id"),
        lifestyle=Lifestyle.objects.for_actor(actor, CLINICAL).filter(customer=customer).first(),
    )


def visits_of(actor: Actor, customer: Customer, capability: str = CLINICAL) -> QuerySet[Any]:
    from .models import Visit

    return (
        Visit.objects.for_actor(actor, capability)
        .filter(customer=customer)
        .select_related("chief_physician")
        .order_by("-visit_date", "-created", "-id")
    )


def observations_of_visits(actor: Actor, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """The observations of a page of visits in one query, grouped by visit."""
    from .models import Observation

    grouped: dict[uuid.UUID, list[Any]] = {pk: [] for pk in visit_ids}
    if not visit_ids:
        return grouped
    for obs in (
        Observation.objects.for_actor(actor, CLINICAL)
        .filter(visit_id__in=visit_ids, status__in=Observation.SHOWN)
        .select_related("created_by")
        .order_by("effective", "local_code", "loinc", "id")
    ):
        grouped[obs.visit_id].append(obs)
    return grouped


def loose_observations(actor: Actor, customer: Customer) -> QuerySet[Any]:
    """Measurements taken outside a check-up visit (vitals entered on their own), newest first."""
    from .models import Observation

    return (
        Observation.objects.for_actor(actor, CLINICAL)
        .filter(customer=customer, visit__isnull=True, status__in=Observation.SHOWN)
        .select_related("created_by")
        .order_by("-effective", "local_code", "id")
    )


def _changes(actor: Actor, customer: Customer) -> QuerySet[Any]:
    """RecordChange.scope_for_actor leaves out clinical rows for actors without clinical access."""
    from .models import RecordChange

    capability = CLINICAL if actor.can(CLINICAL) else IDENTITY
    return RecordChange.objects.for_actor(actor, capability).filter(customer=customer)


def record_changes(actor: Actor, customer: Customer) -> QuerySet[Any]:
    """Who changed which field when, newest first; without clinical access only the identity
    and card rows (the front desk corrects those)."""
    return _changes(actor, customer).order_by("-created", "resource_type", "resource_id", "field")


def change_groups(actor: Actor, customer: Customer) -> list[dict[str, Any]]:
    """The record history as events for the timeline: one per request and kind of row, counted
    in SQL from plaintext columns (nothing is decrypted)."""
    from django.db.models import Min

    return list(
        _changes(actor, customer)
        .values("request_id", "resource_type", "action", "created_by__username")
        .annotate(at=Min("created"), rows=Count("resource_id", distinct=True))
        .order_by("-at")
    )


def card_events_of(actor: Actor, customer: Customer) -> list[Any]:
    from .models import CardEvent

    return list(
        CardEvent.objects.for_actor(actor, IDENTITY)
        .filter(customer=customer)
        .select_related("card", "created_by")
        .order_by("-created")
    )


def record_row(
    actor: Actor,
    model: Any,
    customer: Customer,
    row_id: uuid.UUID,
    capability: str = CLINICAL,
    *,
    kind: str = "",
) -> Any | None:
    """One row of this customer's record (a history item, an allergy, a visit, …) or None."""
    qs = model.objects.for_actor(actor, capability).filter(customer=customer, pk=row_id)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.first()


def lifestyle_of(actor: Actor, customer: Customer, capability: str = CLINICAL) -> Any | None:
    from .models import Lifestyle

    return Lifestyle.objects.for_actor(actor, capability).filter(customer=customer).first()


def merged_into(actor: Actor, customer_id: uuid.UUID) -> uuid.UUID | None:
    """Where a merged duplicate's records went, for a link to the old customer (D-13 scoped)."""
    target: uuid.UUID | None = (
        Customer.objects.for_actor(actor, IDENTITY)
        .filter(pk=customer_id, status="merged")
        .values_list("merged_into_id", flat=True)
        .first()
    )
    return target
