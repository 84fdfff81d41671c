"""Customers, identifiers, member cards and the structured health record (健康档案).

The structure follows the national resident health record (个人基本信息表, 健康体检表) and keeps
the codes the FHIR mapping needs (ICD-10, LOINC, UCUM), so that Customer ↔ Patient,
HistoryItem ↔ Condition/Procedure, FamilyHistory ↔ FamilyMemberHistory, Allergy ↔
AllergyIntolerance, Medication ↔ MedicationStatement, Observation ↔ Observation and
Visit ↔ Encounter/DiagnosticReport are mappings later, not rewrites.

Every row is encrypted under its customer's own data key (D-02), so erasing a customer destroys
one key. Field classes (D-01) are declared next to the fields; PLAINTEXT_FIELDS says why each
plaintext field must stay queryable.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from jianguan.core.actors import Actor
from jianguan.core.fields import BlindIndexField, EncryptedField
from jianguan.core.scoping import PersonalDataModel

EXPECTED_CUSTOMERS = 1_000_000  # per institution, for the blind-index planner (BI-03)

SEX_CHOICES = [("M", "男"), ("F", "女"), ("U", "未知")]
CLINICAL_VIEW = "records.clinical.view"


class CustomerOwned(PersonalDataModel):
    """A row of one customer's record: encrypted under that customer's key."""

    PLAINTEXT_FIELDS = {
        **PersonalDataModel.PLAINTEXT_FIELDS,
        "customer": "the record a row belongs to (UUID)",
        "created": "when the row was written",
        "created_by": "who wrote it (staff UUID)",
    }

    customer = models.ForeignKey("records.Customer", on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    def encryption_scope_id(self) -> uuid.UUID:
        return self.customer_id


class ClinicalRow(CustomerOwned):
    """A row of the health record proper: only actors who may see clinical data read it,
    whatever capability they ask with (the front desk sees identity and cards, not health)."""

    class Meta:
        abstract = True

    @classmethod
    def scope_for_actor(
        cls, qs: models.QuerySet[Any], actor: Actor, action: str
    ) -> models.QuerySet[Any]:
        return qs if actor.can(CLINICAL_VIEW) else qs.none()


class Customer(PersonalDataModel):
    """A person enrolled at the institution (客户): FHIR Patient."""

    STATUS = [("active", "在册"), ("merged", "已合并"), ("erased", "已删除")]

    PLAINTEXT_FIELDS = {
        **PersonalDataModel.PLAINTEXT_FIELDS,
        "sex": "filters and population runs; pseudonymous alone",
        "birth_year": "age filters and population runs; pseudonymous alone",
        "manager": "the assigned health manager: panels and scoping",
        "source_channel": "marketing reports by channel",
        "consent_version": "which privacy notice was agreed to",
        "consent_at": "when consent was given",
        "status": "active, merged or erased",
        "merged_into": "where a merged duplicate's records went",
        "created": "enrolment time: sorting",
        "updated": "last change: sorting",
    }

    name = EncryptedField(kind="text")
    name_index = BlindIndexField(source="name", expected_rows=EXPECTED_CUSTOMERS)
    sex = models.CharField(max_length=1, choices=SEX_CHOICES, default="U")
    birth_date = EncryptedField(kind="date")
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    name_birth_index = BlindIndexField(
        sources=("name", "birth_date"), expected_rows=EXPECTED_CUSTOMERS
    )
    mobile = EncryptedField(kind="text")
    mobile_index = BlindIndexField(source="mobile", expected_rows=EXPECTED_CUSTOMERS)
    address = EncryptedField(kind="text")
    emergency_contact = EncryptedField(kind="json")  # {"name", "relation", "phone"}
    occupation = EncryptedField(kind="text")
    marital_status = EncryptedField(kind="text")
    ethnicity = EncryptedField(kind="text")
    insurance_type = EncryptedField(kind="text")
    source_channel = models.CharField(max_length=40, blank=True, default="")
    consent_version = models.CharField(max_length=20, blank=True, default="")
    consent_at = models.DateTimeField(null=True, blank=True)
    manager = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=STATUS, default="active")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        # The customer list filters by manager, sex and birth year and sorts by enrolment time:
        # these two indexes hold every column it touches, so the page's ids come from an index
        # alone (selectors.customer_page; docs/benchmarks.md).
        indexes = [
            models.Index(fields=["institution", "status", "-created"]),
            models.Index(
                fields=["institution", "manager", "status", "sex", "birth_year", "created", "id"],
                name="customer_list_by_manager",
            ),
            models.Index(
                fields=["institution", "status", "sex", "birth_year", "created", "id"],
                name="customer_list_by_sex_age",
            ),
            models.Index(fields=["institution", "birth_year"]),
            models.Index(fields=["institution", "name_index"]),
            models.Index(fields=["institution", "mobile_index"]),
            models.Index(fields=["institution", "name_birth_index"]),
        ]

    def __str__(self) -> str:
        return str(self.pk)

    def encryption_scope_id(self) -> uuid.UUID:
        return self.pk


class CustomerIdentifier(CustomerOwned):
    """An identity document or a source system's MRN (D-29): FHIR Patient.identifier."""

    PLAINTEXT_FIELDS = {
        **CustomerOwned.PLAINTEXT_FIELDS,
        "type": "document type: which check applies",
        "source": "the system that issued an MRN",
        "is_primary": "which one the header shows",
    }

    type = models.CharField(max_length=40)
    source = models.CharField(max_length=60, blank=True, default="")
    value = EncryptedField(kind="text")
    value_index = BlindIndexField(sources=("type", "value"), expected_rows=EXPECTED_CUSTOMERS)
    is_primary = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["institution", "value_index"])]

    def __str__(self) -> str:
        return self.type


class MemberCard(CustomerOwned):
    """A member card (会员卡); a customer holds several over time (D-01: number, level, status
    are plaintext)."""

    LEVELS = [("standard", "普通卡"), ("silver", "银卡"), ("gold", "金卡"), ("platinum", "白金卡")]
    STATUSES = [
        ("active", "正常"),
        ("frozen", "冻结"),
        ("lost", "挂失"),
        ("replaced", "已换卡"),
        ("expired", "已过期"),
    ]
    IN_USE = ("active", "frozen")  # at most one card of a customer at a time

    PLAINTEXT_FIELDS = {
        **CustomerOwned.PLAINTEXT_FIELDS,
        "number": "card lookup at the front desk",
        "level": "filters and pricing",
        "status": "which card is valid",
        "valid_from": "validity",
        "valid_until": "validity",
        "replaces": "card history",
    }

    number = models.CharField(max_length=20)
    level = models.CharField(max_length=20, choices=LEVELS, default="standard")
    status = models.CharField(max_length=10, choices=STATUSES, default="active")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "number"], name="unique_card_number"),
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status__in=["active", "frozen"]),
                name="one_card_in_use",
            ),
        ]
        indexes = [models.Index(fields=["institution", "customer", "status"])]

    def __str__(self) -> str:
        return self.number

    def expired_on(self, day: dt.date) -> bool:
        """Past its validity (the last valid day is `valid_until` itself)."""
        return self.valid_until is not None and day > self.valid_until

    def status_on(self, day: dt.date) -> str:
        """The status a person should see: a card in use past its validity is expired, whether
        or not the nightly pass or a new card has closed it yet."""
        if self.status in self.IN_USE and self.expired_on(day):
            return "expired"
        return self.status


class CardEvent(CustomerOwned):
    """What happened to a card, in order: issued, frozen, unfrozen, lost, replaced, level…"""

    PLAINTEXT_FIELDS = {
        **CustomerOwned.PLAINTEXT_FIELDS,
        "card": "the card",
        "kind": "what happened",
    }

    card = models.ForeignKey(MemberCard, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    note = EncryptedField(kind="text")

    def __str__(self) -> str:
        return self.kind


class HistoryItem(ClinicalRow):
    """Past history (既往史): a condition, surgery, trauma, transfusion or disability.

    FHIR: Condition (condition, disability) or Procedure (surgery, trauma, transfusion).
    """

    KINDS = [
        ("condition", "疾病"),
        ("surgery", "手术"),
        ("trauma", "外伤"),
        ("transfusion", "输血"),
        ("disability", "残疾"),
    ]
    PLAINTEXT_FIELDS = {**CustomerOwned.PLAINTEXT_FIELDS, "kind": "which section it belongs to"}

    kind = models.CharField(max_length=20, choices=KINDS)
    code = EncryptedField(kind="text")  # ICD-10 for conditions
    name = EncryptedField(kind="text")
    onset = EncryptedField(kind="date")
    clinical_status = EncryptedField(kind="text")  # active, remission, resolved
    note = EncryptedField(kind="text")

    def __str__(self) -> str:
        return self.kind


class FamilyHistory(ClinicalRow):
    """Family history (家族史): relation and condition. FHIR FamilyMemberHistory."""

    relation = EncryptedField(kind="text")  # father, mother, sibling, child
    code = EncryptedField(kind="text")  # ICD-10
    name = EncryptedField(kind="text")
    note = EncryptedField(kind="text")

    def __str__(self) -> str:
        return "family history"


class Allergy(ClinicalRow):
    """Allergy (过敏史): substance, reaction, severity. FHIR AllergyIntolerance."""

    substance = EncryptedField(kind="text")
    reaction = EncryptedField(kind="text")
    severity = EncryptedField(kind="text")  # mild, moderate, severe

    def __str__(self) -> str:
        return "allergy"


class Medication(ClinicalRow):
    """A current medication (用药情况). FHIR MedicationStatement."""

    PLAINTEXT_FIELDS = {**CustomerOwned.PLAINTEXT_FIELDS, "active": "current or stopped"}

    name = EncryptedField(kind="text")
    dose = EncryptedField(kind="text")
    frequency = EncryptedField(kind="text")
    adherence = EncryptedField(kind="text")  # regular, intermittent, none
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return "medication"


class Lifestyle(ClinicalRow):
    """Lifestyle (生活方式): smoking, alcohol, activity, diet, sleep, occupational exposure.

    One current row per customer; earlier values live in the record history.
    """

    data = EncryptedField(kind="json")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer"], name="one_lifestyle")]

    def __str__(self) -> str:
        return "lifestyle"


class Visit(ClinicalRow):
    """A check-up visit (体检) grouping results, with the chief physician's conclusions (总检结论).

    FHIR: Encounter + a DiagnosticReport carrying the conclusions.
    """

    STATUSES = [("open", "进行中"), ("concluded", "已总检")]
    PLAINTEXT_FIELDS = {
        **CustomerOwned.PLAINTEXT_FIELDS,
        "visit_number": "the exam system's visit id: import idempotency (D-30)",
        "visit_date": "effective time: trends and sorting",
        "package": "the exam package's code",
        "status": "open or concluded",
        "chief_physician": "who signed the conclusions",
        "concluded_at": "when",
    }

    visit_number = models.CharField(max_length=40)
    visit_date = models.DateField()
    package = models.CharField(max_length=60, blank=True, default="")
    status = models.CharField(max_length=10, choices=STATUSES, default="open")
    conclusions = EncryptedField(kind="text")
    recommendations = EncryptedField(kind="text")
    chief_physician = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    concluded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "visit_number"], name="unique_visit_number"
            )
        ]
        indexes = [models.Index(fields=["institution", "customer", "-visit_date"])]

    def __str__(self) -> str:
        return self.visit_number


class Observation(ClinicalRow):
    """A measurement or result: FHIR Observation (LOINC + the centre's local code, UCUM unit)."""

    SOURCES = [
        ("manual", "手工录入"),
        ("import", "导入"),
        ("questionnaire", "问卷"),
        ("device", "设备"),
    ]
    PLAINTEXT_FIELDS = {
        **CustomerOwned.PLAINTEXT_FIELDS,
        "visit": "the check-up it belongs to",
        "loinc": "code: trends and population runs select by it",
        "local_code": "the centre's item code",
        "unit": "UCUM unit",
        "ref_low": "the lab's reference range, not personal",
        "ref_high": "the lab's reference range, not personal",
        "effective": "time taken: trends and sorting",
        "source": "where the value came from",
        "source_key": "idempotency key of an import (D-30)",
        "status": "final, amended or entered in error (FHIR Observation.status)",
    }
    STATUSES = [("final", "已确认"), ("amended", "已更正"), ("entered-in-error", "录入错误")]
    SHOWN = ("final", "amended")  # entered-in-error rows stay for the record history only

    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    loinc = models.CharField(max_length=20, blank=True, default="")
    local_code = models.CharField(max_length=40, blank=True, default="")
    unit = models.CharField(max_length=30, blank=True, default="")
    value_num = EncryptedField(kind="json")  # a number, as JSON so that 5.60 stays 5.6 exactly
    value_code = EncryptedField(kind="text")
    value_text = EncryptedField(kind="text")
    ref_low = models.FloatField(null=True, blank=True)
    ref_high = models.FloatField(null=True, blank=True)
    flag = EncryptedField(kind="text")  # N, L, H, LL, HH, A
    effective = models.DateTimeField()
    source = models.CharField(max_length=20, choices=SOURCES, default="manual")
    source_key = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=20, choices=STATUSES, default="final")
    note = EncryptedField(kind="text")  # why it was corrected or withdrawn (Observation.note)

    class Meta:
        indexes = [
            models.Index(fields=["institution", "customer", "loinc", "effective"]),
            models.Index(fields=["institution", "customer", "-effective"]),
            models.Index(fields=["visit"]),
        ]

    def __str__(self) -> str:
        return self.loinc or self.local_code


class RecordChange(CustomerOwned):
    """Record history (D-09): who changed which field of which row, old and new value encrypted."""

    PLAINTEXT_FIELDS = {
        **CustomerOwned.PLAINTEXT_FIELDS,
        "resource_type": "which kind of row",
        "resource_id": "which row",
        "field": "which field",
        "action": "create, update or delete",
        "request_id": "ties the change to its audit entry",
    }

    resource_type = models.CharField(max_length=40)
    resource_id = models.UUIDField()
    field = models.CharField(max_length=60)
    action = models.CharField(max_length=10)
    old_value = EncryptedField(kind="json")
    new_value = EncryptedField(kind="json")
    request_id = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["institution", "customer", "-created"])]

    def __str__(self) -> str:
        return f"{self.resource_type}.{self.field}"

    @classmethod
    def scope_for_actor(
        cls, qs: models.QuerySet[Any], actor: Actor, action: str
    ) -> models.QuerySet[Any]:
        # The history of a health-record row holds its clinical values (D-09).
        if actor.can(CLINICAL_VIEW):
            return qs
        return qs.exclude(resource_type__in=CLINICAL_TYPES)


# In insertion order: a row's parents come before it; RecordChange last (merge and bulk loads rely
# on this order).
PERSONAL_MODELS: list[type[models.Model]] = [
    Customer,
    CustomerIdentifier,
    MemberCard,
    CardEvent,
    HistoryItem,
    FamilyHistory,
    Allergy,
    Medication,
    Lifestyle,
    Visit,
    Observation,
    RecordChange,
]


CLINICAL_TYPES = [m.__name__ for m in PERSONAL_MODELS if issubclass(m, ClinicalRow)]


def register_personal_model(model: type[models.Model]) -> None:
    """Another app's rows of a customer's record (care plans, questionnaire responses …): they
    join the record's models so that a merge moves them, an erasure covers them and a clinical
    row stays out of the front desk's record history. Called from that app's AppConfig.ready()
    (records imports nothing of it); parents must be registered before their children."""
    if model in PERSONAL_MODELS:
        return
    if not issubclass(model, CustomerOwned):
        raise TypeError(f"{model.__name__} is not a row of a customer's record")
    PERSONAL_MODELS.insert(PERSONAL_MODELS.index(RecordChange), model)
    if issubclass(model, ClinicalRow):
        CLINICAL_TYPES.append(model.__name__)


def model_for(resource_type: str) -> type[models.Model]:
    for model in PERSONAL_MODELS:
        if model.__name__ == resource_type:
            return model
    raise LookupError(resource_type)
