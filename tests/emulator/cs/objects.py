"""The objects of the emulated CS tenant: their names, fields, data types and picklists.

This is the tenant's schema, what ``GET /v1/meta/services/objects/list`` and ``POST
/v1/meta/services/objects/describe`` report and what ``POST /v1/data/objects/query/{object}``
accepts. The records themselves are made by ``generate``.

Names (docs/api.md, "CS: objects list and describe", "CS: objects list and describe"). Every object
has one canonical ``name``:
the ``tenant.collections`` key, the describe ``objectName`` and the delete log's ``ObjectName``. It
is the lower-case name the objects list gives (``company_person``, ``gsuser``, ``call_to_action``,
``obj__gc``), except ``Company`` and ``Person``, which keep the casing of the docs (the list says
``company``; the delete-log sample says ``"ObjectName": "Company"``). The query path matches names
case-insensitively (``Company_Person`` = ``company_person``; one peer queries ``gsuser``, another
``GsUser``): a client must compare names case-insensitively too.

Objects (``OBJECTS``, in list order; "replicates on" is ``ObjectDef.modified_field``, the
DATETIME a client bookmarks; record counts are ``ObjectDef.size``, tens to a few hundred):

===================== ========= ================== =========================================
name                  type      replicates on      notes
===================== ========= ================== =========================================
Company               STANDARD  ModifiedDate       700 by default; the tap's ``companies``
Person                STANDARD  ModifiedDate       2,600; **missing from the objects list**
company_person        STANDARD  ModifiedDate       links Person_ID to Company_ID
relationship          STANDARD  ModifiedDate
gsuser                STANDARD  ModifiedDate       label "User"; Company.Csm points here
activity_timeline     STANDARD  LastModifiedDate   **no ModifiedDate**; high volume
call_to_action        STANDARD  ModifiedDate       CTAs; Status/Priority/Type/Reason picklists
cs_task               STANDARD  ModifiedDate       tasks of CTAs
cta_group             STANDARD  ModifiedDate       success plans
da_picklist           STANDARD  (none)             every picklist item; **no date at all**
renewal_forecast__gc  CUSTOM    ModifiedDate       a field of every custom data type
product_usage__gc     CUSTOM    ModifiedDate       ``Tags__gc``: options ``[]`` in describe
email_raw_events      SYSTEM    ModifiedDate       no ``keyPrefix`` (as in the list sample)
internal_notes__gc    CUSTOM    ModifiedDate       ``readable: false``, yet queryable
===================== ========= ================== =========================================

Data types (docs/api.md, "CS: objects list and describe"): GSID, STRING, EMAIL, RICHTEXTAREA,
NUMBER, CURRENCY,
PERCENTAGE, BOOLEAN, DATE, DATETIME, LOOKUP, PICKLIST, MULTISELECTDROPDOWNLIST, and DROPDOWN.
DROPDOWN is this emulator's older type for Company's Industry/Stage/Status, whose values are
**labels** (``"Launched"``), kept because the tap's tests rely on it; on a real tenant such fields
are PICKLISTs holding item Gsids (docs/api.md, "CS: objects list and describe"), as every picklist
of the other
objects here is.

Picklists (``PICKLISTS``): each PICKLIST / MULTISELECTDROPDOWNLIST field names a category. The
category's items are rows of ``da_picklist`` (Gsid, Name, Category, CategoryId...), and the
describe lists them as the field's ``options`` (value = item Gsid), inactive ones included
with ``active: false``; ``product_usage__gc.Tags__gc`` is described with ``options: []`` (as
``Tags`` in a live describe, docs/api.md, "CS: objects list and describe"), so a client has to
resolve it through
``meta.properties.PICKLIST_CATEGORY_ID`` or ``da_picklist``. Records hold item Gsids, now and
then of an inactive (or ``Deleted``) item.

Invented by the emulator (nothing known): the key prefixes of Person, activity_timeline,
call_to_action, cs_task, cta_group, da_picklist and the three ``__gc`` objects; every label
not in a doc sample; ``internal_notes__gc`` as an object; the fields of the objects the docs
do not sample; the HTTP status of OBJECT_NOT_FOUND. Documented: the list entries of company,
company_person, relationship, gsuser and email_raw_events (label, type, keyPrefix, flags),
the timeline's sample fields and ``Ant__*__c`` custom naming, the CTA's Id fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Data types whose values are text (what ``CONTAINS`` accepts).
TEXT_TYPES = frozenset(
    {"GSID", "STRING", "EMAIL", "RICHTEXTAREA", "URL", "LOOKUP", "DROPDOWN", "PICKLIST",
     "MULTISELECTDROPDOWNLIST"}
)  # fmt: skip
NUMBER_TYPES = frozenset({"NUMBER", "CURRENCY", "PERCENTAGE"})
PICKLIST_TYPES = frozenset({"PICKLIST", "MULTISELECTDROPDOWNLIST"})


@dataclass(frozen=True)
class FieldDef:
    """One field of an object, as the describe API reports it."""

    name: str
    data_type: str
    label: str
    group: str = "STANDARD"
    """``meta.fieldGroupType``: ``SYSTEM`` (Gsid, audit fields), ``STANDARD`` or ``CUSTOM``."""
    lookup: str | None = None
    """LOOKUP: the target object's list name (``"gsuser"``, ``"company"``)."""
    category: str | None = None
    """PICKLIST / MULTISELECTDROPDOWNLIST: the ``PICKLISTS`` category of its items."""
    options_in_describe: bool = True
    """False: the describe gives ``"options": []`` for this picklist field."""
    nillable: bool = True
    decimal_places: int = 0


@dataclass(frozen=True)
class ObjectDef:
    """One object: list entry, describe header, fields and how it replicates."""

    name: str
    """Canonical name (module docstring): collections key, describe ``objectName``."""
    label: str
    label_plural: str
    object_type: str
    """``STANDARD``, ``CUSTOM`` (``*__gc``) or ``SYSTEM``."""
    key_prefix: str | None
    fields: tuple[FieldDef, ...]
    modified_field: str | None = "ModifiedDate"
    """The DATETIME a client replicates on, None for a full-table object (``da_picklist``)."""
    size: int = 0
    """Records generated by default (Company and Person: ``CSTenant.generate`` arguments)."""
    readable: bool = True
    createable: bool = True
    transactional: bool = False
    multi_currency: bool = False
    schema_updateable: bool = True
    high_volume: bool = False
    """Deletions go to ``record_delete_log_high_volume`` when the tenant has that log."""
    description: str = ""
    field_types: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_types", {f.name: f.data_type for f in self.fields})

    @property
    def list_name(self) -> str:
        """The name in the objects list: always lower case."""
        return self.name.lower()

    def field_def(self, name: str) -> FieldDef:
        """The field called ``name`` (exact case)."""
        return next(f for f in self.fields if f.name == name)


# -- field shorthands ------------------------------------------------------------------------


def _gsid() -> FieldDef:
    return FieldDef("Gsid", "GSID", "GSID", group="SYSTEM")  # nillable, as in the sample


def _audit(created: str = "CreatedDate", modified: str | None = "ModifiedDate") -> list[FieldDef]:
    fields = [FieldDef(created, "DATETIME", "GS Created Date", group="SYSTEM")]
    if modified is not None:
        fields.append(FieldDef(modified, "DATETIME", "GS Modified Date", group="SYSTEM"))
    return fields


def _by() -> list[FieldDef]:
    return [
        FieldDef("CreatedBy", "LOOKUP", "GS Created By", group="SYSTEM", lookup="gsuser"),
        FieldDef("ModifiedBy", "LOOKUP", "GS Modified By", group="SYSTEM", lookup="gsuser"),
    ]


def _f(name: str, data_type: str, label: str, **kw: object) -> FieldDef:
    return FieldDef(name, data_type, label, **kw)  # type: ignore[arg-type]


def _c(name: str, data_type: str, label: str, **kw: object) -> FieldDef:
    """A custom field (``fieldGroupType: CUSTOM``)."""
    return FieldDef(name, data_type, label, group="CUSTOM", **kw)  # type: ignore[arg-type]


# -- picklist categories ----------------------------------------------------------------------

#: Category name -> its items as (label, active, deleted), in display order. Item and category
#: Gsids are drawn per tenant (``generate``); ``da_picklist`` holds one row per item.
PICKLISTS: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    "CTA Status": (("New", True, False), ("Work In Progress", True, False),
                   ("Closed Success", True, False), ("Closed Lost", True, False),
                   ("Closed Invalid", False, False)),
    "CTA Priority": (("High", True, False), ("Medium", True, False), ("Low", True, False)),
    "CTA Type": (("Risk", True, False), ("Expansion", True, False), ("Lifecycle", True, False),
                 ("Activity", True, False), ("Legacy Alert", False, True)),
    "CTA Reason": (("Low Usage", True, False), ("Champion Left", True, False),
                   ("Budget Cut", True, False), ("Upsell Opportunity", True, False),
                   ("Renewal Due", True, False)),
    "Task Status": (("Open", True, False), ("In Progress", True, False),
                    ("Complete", True, False), ("Cancelled", True, False)),
    "Task Priority": (("High", True, False), ("Medium", True, False), ("Low", True, False)),
    "Success Plan Status": (("Draft", True, False), ("Active", True, False),
                            ("Complete", True, False), ("Abandoned", False, False)),
    "Success Plan Type": (("Onboarding", True, False), ("Adoption", True, False),
                          ("Renewal", True, False), ("Expansion", True, False)),
    "Company Person Role": (("Champion", True, False), ("Decision Maker", True, False),
                            ("Admin", True, False), ("End User", True, False),
                            ("Executive Sponsor", True, False)),
    "Relationship Status": (("Onboarding", True, False), ("Active", True, False),
                            ("Churned", True, False)),
    "Timeline Sentiment": (("Positive", True, False), ("Neutral", True, False),
                           ("Negative", True, False)),
    "Forecast Stage": (("Commit", True, False), ("Best Case", True, False),
                       ("Pipeline", True, False), ("Omitted", True, False),
                       ("Upside (retired)", False, True)),
    "Risk Factors": (("Low Adoption", True, False), ("Budget", True, False),
                     ("Competitor", True, False), ("Champion Change", True, False),
                     ("Support Escalations", True, False), ("M&A", False, False)),
    "Product Modules": (("Analytics", True, False), ("Journeys", True, False),
                        ("Surveys", True, False), ("Knowledge Center", True, False),
                        ("Scorecards", True, False)),
    "Usage Health": (("Green", True, False), ("Yellow", True, False), ("Red", True, False)),
    "Usage Tags": (("Beta", True, False), ("Strategic", True, False),
                   ("Reference", True, False), ("Do Not Contact", True, False)),
}  # fmt: skip
#: Categories whose ``da_picklist`` rows carry ``CtaType`` / ``SpType`` (``"ALL"``, [I]).
CTA_CATEGORIES = frozenset({"CTA Status", "CTA Priority", "CTA Type", "CTA Reason"})
SP_CATEGORIES = frozenset({"Success Plan Status", "Success Plan Type"})


# -- the objects -------------------------------------------------------------------------------

COMPANY = ObjectDef(
    "Company", "Company", "Companies", "STANDARD", "1P02C503CKNHR9B14K",
    (
        _gsid(),
        _f("Name", "STRING", "Name", nillable=False),
        _f("Industry", "DROPDOWN", "Industry"),
        _f("Employees", "NUMBER", "Employees"),
        _f("ARR", "CURRENCY", "ARR", decimal_places=2),
        _f("Stage", "DROPDOWN", "Stage"),
        _f("Status", "DROPDOWN", "Status"),
        _f("RenewalDate", "DATE", "Renewal Date"),
        _f("Csm", "LOOKUP", "CSM", lookup="gsuser"),
        _f("IsActive", "BOOLEAN", "Is Active"),
        _c("Tier__gc", "STRING", "Tier"),
        _c("HealthScore__gc", "NUMBER", "Health Score", decimal_places=1),
        *_audit(),
    ),
    size=700,
)  # fmt: skip
PERSON = ObjectDef(
    "Person", "Person", "People", "STANDARD", "1P04XPERSONEMU0001",
    (
        _gsid(),
        _f("Name", "STRING", "Name"),
        _f("FirstName", "STRING", "First Name"),
        _f("LastName", "STRING", "Last Name"),
        _f("Email", "EMAIL", "Email"),
        _f("Title", "STRING", "Title"),
        _f("CompanyId", "LOOKUP", "Company", lookup="company"),
        _f("IsActive", "BOOLEAN", "Is Active"),
        _c("Region__gc", "STRING", "Region"),
        *_audit(),
    ),
    size=2600,
)  # fmt: skip
COMPANY_PERSON = ObjectDef(
    "company_person", "Company Person", "Company People", "STANDARD", "1C01TEHFH1FP2KG5WQ",
    (
        _gsid(),
        _f("Person_ID", "LOOKUP", "Person", lookup="person", nillable=False),
        _f("Company_ID", "LOOKUP", "Company", lookup="company", nillable=False),
        _f("Role", "PICKLIST", "Role", category="Company Person Role"),
        _f("IsPrimaryCompany", "BOOLEAN", "Primary Company"),
        _f("Active", "BOOLEAN", "Active"),
        *_audit(), *_by(),
    ),
    size=320,
)  # fmt: skip
RELATIONSHIP = ObjectDef(
    "relationship", "Relationship", "Relationships", "STANDARD", "1P05VX75GX1CCNZ59W",
    (
        _gsid(),
        _f("Name", "STRING", "Name", nillable=False),
        _f("CompanyId", "LOOKUP", "Company", lookup="company", nillable=False),
        _f("Status", "PICKLIST", "Status", category="Relationship Status"),
        _f("Arr", "CURRENCY", "ARR", decimal_places=2),
        _f("RenewalDate", "DATE", "Renewal Date"),
        _f("Csm", "LOOKUP", "CSM", lookup="gsuser"),
        *_audit(), *_by(),
    ),
    size=120,
)  # fmt: skip
GSUSER = ObjectDef(
    "gsuser", "User", "Users", "STANDARD", "1P01N68IASVWNJD6IE",
    (
        _gsid(),
        _f("Name", "STRING", "Name"),
        _f("FirstName", "STRING", "First Name"),
        _f("LastName", "STRING", "Last Name"),
        _f("Email", "EMAIL", "Email", nillable=False),
        _f("IsActiveUser", "BOOLEAN", "Active User"),
        _f("LicenseType", "STRING", "License Type"),
        *_audit(),
    ),
    size=40,
)  # fmt: skip
ACTIVITY_TIMELINE = ObjectDef(
    "activity_timeline", "Activity Timeline", "Activity Timeline", "STANDARD",
    "1T01ACTIVITYEMU001",
    (
        _gsid(),
        _f("Subject", "STRING", "Subject"),
        _f("Notes", "RICHTEXTAREA", "Notes"),
        _f("ActivityDate", "DATETIME", "Activity Date"),
        _f("contextname", "STRING", "Context Name"),
        _f("GsCompanyId", "LOOKUP", "Company", lookup="company"),
        _f("GsRelationshipId", "LOOKUP", "Relationship", lookup="relationship"),
        _f("AuthorId", "LOOKUP", "Author", lookup="gsuser"),
        _f("InternalAttendees", "STRING", "Internal Attendees"),
        _f("ExternalAttendees", "STRING", "External Attendees"),
        _f("ExternalId", "STRING", "External Id"),
        _c("Ant__Sentiment__c", "PICKLIST", "Sentiment", category="Timeline Sentiment"),
        _c("Ant__Duration__c", "NUMBER", "Duration (min)"),
        *_audit(modified="LastModifiedDate"),
    ),
    modified_field="LastModifiedDate",
    size=420,
    transactional=True,
    high_volume=True,
)  # fmt: skip
CALL_TO_ACTION = ObjectDef(
    "call_to_action", "Call To Action", "Calls To Action", "STANDARD", "1S01CTAEMULATOR001",
    (
        _gsid(),
        _f("Name", "STRING", "Name", nillable=False),
        _f("CompanyId", "LOOKUP", "Company", lookup="company"),
        _f("OwnerId", "LOOKUP", "Owner", lookup="gsuser"),
        _f("StatusId", "PICKLIST", "Status", category="CTA Status"),
        _f("PriorityId", "PICKLIST", "Priority", category="CTA Priority"),
        _f("TypeId", "PICKLIST", "Type", category="CTA Type"),
        _f("ReasonId", "PICKLIST", "Reason", category="CTA Reason"),
        _f("DueDate", "DATE", "Due Date"),
        _f("IsClosed", "BOOLEAN", "Closed"),
        _f("IsImportant", "BOOLEAN", "Important"),
        _f("ClosedDate", "DATETIME", "Closed Date"),
        _f("EntityType", "STRING", "Entity Type"),
        *_audit(), *_by(),
    ),
    size=260,
    transactional=True,
)  # fmt: skip
CS_TASK = ObjectDef(
    "cs_task", "CS Task", "CS Tasks", "STANDARD", "1S02TASKEMULATOR01",
    (
        _gsid(),
        _f("Name", "STRING", "Name", nillable=False),
        _f("CtaId", "LOOKUP", "CTA", lookup="call_to_action"),
        _f("CompanyId", "LOOKUP", "Company", lookup="company"),
        _f("OwnerId", "LOOKUP", "Owner", lookup="gsuser"),
        _f("Status", "PICKLIST", "Status", category="Task Status"),
        _f("Priority", "PICKLIST", "Priority", category="Task Priority"),
        _f("DueDate", "DATE", "Due Date"),
        _f("IsClosed", "BOOLEAN", "Closed"),
        _f("ClosedDate", "DATETIME", "Closed Date"),
        *_audit(), *_by(),
    ),
    size=300,
    transactional=True,
)  # fmt: skip
CTA_GROUP = ObjectDef(
    "cta_group", "Success Plan", "Success Plans", "STANDARD", "1S03SPLANEMULATOR1",
    (
        _gsid(),
        _f("Name", "STRING", "Name", nillable=False),
        _f("CompanyId", "LOOKUP", "Company", lookup="company"),
        _f("OwnerId", "LOOKUP", "Owner", lookup="gsuser"),
        _f("StatusId", "PICKLIST", "Status", category="Success Plan Status"),
        _f("TypeId", "PICKLIST", "Type", category="Success Plan Type"),
        _f("StartDate", "DATE", "Start Date"),
        _f("DueDate", "DATE", "Due Date"),
        _f("Description", "STRING", "Description"),
        *_audit(), *_by(),
    ),
    size=60,
    transactional=True,
)  # fmt: skip
DA_PICKLIST = ObjectDef(
    "da_picklist", "Picklist", "Picklists", "STANDARD", "1I00PICKLISTEMU001",
    (
        _gsid(),
        _f("Name", "STRING", "Name", nillable=False),
        _f("Category", "STRING", "Category"),
        _f("CategoryId", "STRING", "Category Id"),
        _f("SystemName", "STRING", "System Name"),
        _f("DisplayOrder", "NUMBER", "Display Order"),
        _f("IsActive", "BOOLEAN", "Active"),
        _f("Deleted", "BOOLEAN", "Deleted"),
        _f("CtaType", "STRING", "CTA Type"),
        _f("SpType", "STRING", "Success Plan Type"),
    ),
    modified_field=None,
    createable=False,
    schema_updateable=False,
)  # fmt: skip
RENEWAL_FORECAST = ObjectDef(
    "renewal_forecast__gc", "Renewal Forecast", "Renewal Forecasts", "CUSTOM",
    "1Z02RENEWALFCST001",
    (
        _c("Name__gc", "STRING", "Name"),
        _gsid(),
        _c("Company_ID__gc", "LOOKUP", "Company", lookup="company"),
        _c("Owner__gc", "LOOKUP", "Owner", lookup="gsuser"),
        _c("Forecast_ARR__gc", "CURRENCY", "Forecast ARR", decimal_places=2),
        _c("Seats__gc", "NUMBER", "Seats"),
        _c("Probability__gc", "PERCENTAGE", "Probability", decimal_places=1),
        _c("Committed__gc", "BOOLEAN", "Committed"),
        _c("Renewal_Date__gc", "DATE", "Renewal Date"),
        _c("Last_Reviewed__gc", "DATETIME", "Last Reviewed"),
        _c("Forecast_Stage__gc", "PICKLIST", "Forecast Stage", category="Forecast Stage"),
        _c("Risk_Factors__gc", "MULTISELECTDROPDOWNLIST", "Risk Factors",
           category="Risk Factors"),
        *_audit(), *_by(),
    ),
    size=450,
    transactional=True,
    multi_currency=True,
    description="Custom object",
)  # fmt: skip
PRODUCT_USAGE = ObjectDef(
    "product_usage__gc", "Product Usage", "Product Usage", "CUSTOM", "1Z02PRODUSAGEEMU01",
    (
        _gsid(),
        _c("Company_ID__gc", "LOOKUP", "Company", lookup="company", nillable=False),
        _c("Month__gc", "DATE", "Month"),
        _c("Active_Users__gc", "NUMBER", "Active Users"),
        _c("Licensed_Seats__gc", "NUMBER", "Licensed Seats"),
        _c("Adoption_Score__gc", "NUMBER", "Adoption Score", decimal_places=2),
        _c("Over_Limit__gc", "BOOLEAN", "Over Limit"),
        _c("Health__gc", "PICKLIST", "Health", category="Usage Health"),
        _c("Modules__gc", "MULTISELECTDROPDOWNLIST", "Modules", category="Product Modules"),
        _c("Tags__gc", "MULTISELECTDROPDOWNLIST", "Tags", category="Usage Tags",
           options_in_describe=False),
        _c("Last_Sync__gc", "DATETIME", "Last Sync"),
        *_audit(),
    ),
    size=240,
    transactional=True,
    description="Custom object",
)  # fmt: skip
EMAIL_RAW_EVENTS = ObjectDef(
    "email_raw_events", "Email Raw Events", "Email Raw Events", "SYSTEM", None,
    (
        _gsid(),
        _f("EventType", "STRING", "Event Type"),
        _f("Email", "EMAIL", "Email"),
        _f("PersonId", "LOOKUP", "Person", lookup="person"),
        _f("EventDate", "DATETIME", "Event Date"),
        _f("Subject", "STRING", "Subject"),
        *_audit(),
    ),
    size=150,
    createable=False,
    schema_updateable=False,
)  # fmt: skip
INTERNAL_NOTES = ObjectDef(
    "internal_notes__gc", "Internal Notes", "Internal Notes", "CUSTOM", "1Z02INTNOTESEMU001",
    (
        _gsid(),
        _c("Company_ID__gc", "LOOKUP", "Company", lookup="company"),
        _c("Note__gc", "RICHTEXTAREA", "Note"),
        _c("Confidential__gc", "BOOLEAN", "Confidential"),
        *_audit(), *_by(),
    ),
    size=30,
    readable=False,
    description="Custom object",
)  # fmt: skip

#: Every object, in objects-list order.
OBJECTS: tuple[ObjectDef, ...] = (
    COMPANY, PERSON, COMPANY_PERSON, RELATIONSHIP, GSUSER, ACTIVITY_TIMELINE, CALL_TO_ACTION,
    CS_TASK, CTA_GROUP, DA_PICKLIST, RENEWAL_FORECAST, PRODUCT_USAGE, EMAIL_RAW_EVENTS,
    INTERNAL_NOTES,
)  # fmt: skip
_BY_LOWER = {o.list_name: o for o in OBJECTS}
#: Field name -> data type, per canonical object name, in describe order.
OBJECT_FIELDS: dict[str, dict[str, str]] = {o.name: o.field_types for o in OBJECTS}
OBJECT_NAMES = tuple(OBJECT_FIELDS)


def find_object(name: str) -> ObjectDef | None:
    """The object called ``name``, compared case-insensitively; None if there is none."""
    return _BY_LOWER.get(name.lower())
