"""The tables, as peewee models. They belong to no database: each ``Store`` binds them to
its own for the length of one operation, on the thread doing it (``bound_to``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import peewee as pw
from playhouse.shortcuts import ThreadSafeDatabaseMetadata


class OperationBinding(ThreadSafeDatabaseMetadata):  # type: ignore[misc]
    """A model's database, per thread and only while an operation runs (see ``bound_to``).

    Two stores can then work side by side in one process, even one after the other on the
    same worker thread. Unlike playhouse's class, a thread that has bound nothing has no
    database (its query fails at once) instead of the first one ever bound; and binding
    leaves alone what peewee shares between threads: the model's schema manager (which falls
    back to this per-thread database) and the fields' database hooks.
    """

    def _get_database(self) -> pw.Database | None:
        return getattr(self._local, "database", None)

    def _set_database(self, database: pw.Database | None) -> None:
        self._local.database = database

    database = property(_get_database, _set_database)

    def set_database(self, database: pw.Database | None) -> None:
        self.database = database
        del self.table  # the table object of this thread names the database it runs on


class UTCDateTimeField(pw.DateTimeField):
    """Stores aware datetimes as naive UTC and gives them back aware, on both engines."""

    def db_value(self, value: datetime | None) -> Any:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)  # type: ignore[no-untyped-call]

    def python_value(self, value: Any) -> Any:
        # SQLite hands back ISO text; fromisoformat reads it about ten times faster than
        # peewee's format-by-format parsing, which matters for lists of thousands of rows.
        if isinstance(value, str):
            try:
                # Stored naive in UTC: reading it as "+00:00" avoids a slower replace(tzinfo).
                return datetime.fromisoformat(f"{value}+00:00")
            except ValueError:
                parsed = super().python_value(value)  # type: ignore[no-untyped-call]
        else:
            parsed = super().python_value(value)  # type: ignore[no-untyped-call]
        if isinstance(parsed, datetime):
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        return parsed


class ContentField(pw.BlobField):
    """File content, handed to the driver as ``bytes``, which both engines store as they are.
    peewee's own conversion follows the driver of the database bound last, a setting shared
    by every thread, so two stores on different engines would race on it."""

    def db_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.encode("utf8")
        return bytes(value) if isinstance(value, bytearray | memoryview) else value


class BaseModel(pw.Model):
    class Meta:
        model_metadata_class = OperationBinding
        legacy_table_names = False


class SchemaInfo(BaseModel):
    """Marks the database as Incident Desk's and records its schema version."""

    key = pw.CharField(primary_key=True, max_length=64)
    value = pw.TextField()


class Setting(BaseModel):
    """Team-wide settings (priority matrix, SLA targets, limits) as JSON text."""

    key = pw.CharField(primary_key=True, max_length=64)
    value = pw.TextField()


class Counter(BaseModel):
    """Monotonic counters, such as the next incident number; never decremented."""

    name = pw.CharField(primary_key=True, max_length=64)
    value = pw.BigIntegerField()


class Record(BaseModel):
    """A table whose rows are known by an automatic integer id."""

    id = pw.AutoField()


class Team(Record):
    name = pw.CharField(max_length=100, unique=True)
    description = pw.TextField(default="")
    escalation_order = pw.IntegerField(default=0)


class User(Record):
    name = pw.CharField(max_length=100)
    login = pw.CharField(max_length=100, unique=True)
    email = pw.CharField(max_length=200, default="")
    team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL")
    role = pw.CharField(max_length=16, default="staff")
    team_id: int | None


class Service(Record):
    name = pw.CharField(max_length=100, unique=True)
    description = pw.TextField(default="")
    team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL")


class Category(Record):
    name = pw.CharField(max_length=100, unique=True)
    position = pw.IntegerField(default=0)
    active = pw.BooleanField(default=True)


class Incident(Record):
    number = pw.BigIntegerField(unique=True)
    title = pw.CharField(max_length=200)
    description = pw.TextField(default="")
    source_kind = pw.CharField(max_length=16)
    source_name = pw.CharField(max_length=200, default="")
    source_contact = pw.CharField(max_length=200, default="")
    reported_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    reported_at = UTCDateTimeField(index=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    service = pw.ForeignKeyField(Service, null=True, on_delete="SET NULL", backref="+")
    category = pw.ForeignKeyField(Category, null=True, on_delete="SET NULL", backref="+")
    impact_scope = pw.CharField(max_length=16)
    impact_financial = pw.BooleanField(default=False)
    impact_security = pw.BooleanField(default=False)
    impact_compliance = pw.BooleanField(default=False)
    severity = pw.SmallIntegerField(index=True)
    urgency = pw.SmallIntegerField()
    priority = pw.SmallIntegerField()
    status = pw.CharField(max_length=16)
    assignee = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL", backref="+")
    escalation_level = pw.SmallIntegerField(default=1)
    chat_url = pw.TextField(default="")
    bridge_url = pw.TextField(default="")
    ticket_url = pw.TextField(default="")
    board_rank = pw.DoubleField(default=0.0)
    acknowledged_at = UTCDateTimeField(null=True)
    recovered_at = UTCDateTimeField(null=True)
    postmortem_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)
    cancelled_at = UTCDateTimeField(null=True)
    cancel_reason = pw.TextField(default="")
    duplicate_of = pw.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="+")
    version = pw.IntegerField(default=1)
    # The ids behind the foreign keys, as peewee provides them without a query.
    reported_by_id: int | None
    service_id: int | None
    category_id: int | None
    assignee_id: int | None
    team_id: int | None
    duplicate_of_id: int | None

    class Meta:
        indexes = ((("status", "priority", "board_rank"), False),)


class TimelineEntry(Record):
    incident = pw.ForeignKeyField(Incident, on_delete="CASCADE", backref="+")
    kind = pw.CharField(max_length=32)
    body = pw.TextField(default="")
    details = pw.TextField(default="{}")
    author = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    occurred_at = UTCDateTimeField()
    recorded_at = UTCDateTimeField()
    pinned = pw.BooleanField(default=False)
    amends = pw.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="+")
    incident_id: int
    author_id: int | None
    amends_id: int | None

    class Meta:
        indexes = ((("incident", "occurred_at"), False),)


class Blob(BaseModel):
    """File content addressed by its SHA-256, so one file dropped twice is stored once."""

    sha256 = pw.CharField(primary_key=True, max_length=64)
    size = pw.BigIntegerField()
    content = ContentField()


class Attachment(Record):
    incident = pw.ForeignKeyField(Incident, on_delete="CASCADE", backref="+")
    entry = pw.ForeignKeyField(TimelineEntry, null=True, on_delete="SET NULL", backref="+")
    # With its own column name the key would be read as ``blob_sha256``; the code reads blob_id.
    blob = pw.ForeignKeyField(
        Blob,
        column_name="blob_sha256",
        object_id_name="blob_id",
        on_delete="RESTRICT",
        backref="+",
    )
    filename = pw.CharField(max_length=255)
    media_type = pw.CharField(max_length=100)
    size = pw.BigIntegerField()
    added_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    added_at = UTCDateTimeField()
    # The words of a text or log file, for full-text search; empty for other files.
    text_content = pw.TextField(default="")
    incident_id: int
    blob_id: str


class Postmortem(Record):
    """Root cause analysis of an incident; required before a major incident closes."""

    incident = pw.ForeignKeyField(Incident, unique=True, on_delete="CASCADE", backref="+")
    summary = pw.TextField(default="")
    impact = pw.TextField(default="")
    root_cause = pw.TextField(default="")
    contributing_factors = pw.TextField(default="")
    went_well = pw.TextField(default="")
    went_badly = pw.TextField(default="")
    waiver_reason = pw.TextField(default="")
    waived_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    updated_at = UTCDateTimeField()
    version = pw.IntegerField(default=1)
    incident_id: int
    waived_by_id: int | None


class ActionItem(Record):
    """Work that keeps an incident from happening again: detect, prevent or correct."""

    postmortem = pw.ForeignKeyField(Postmortem, on_delete="CASCADE", backref="+")
    title = pw.CharField(max_length=200)
    kind = pw.CharField(max_length=16)
    owner = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    due_on = pw.DateField(null=True, index=True)
    status = pw.CharField(max_length=16, default="open")
    created_at = UTCDateTimeField()
    postmortem_id: int
    owner_id: int | None


class IntakeRule(Record):
    """How alerts from monitoring become incidents: alerts whose label ``label`` has the value
    ``value`` (any alert, where ``label`` is empty) get what the rule sets; for each setting the
    first matching rule by ``position`` that sets it wins."""

    position = pw.IntegerField(default=0)
    label = pw.CharField(max_length=200, default="")
    value = pw.CharField(max_length=200, default="")
    service = pw.ForeignKeyField(Service, null=True, on_delete="SET NULL", backref="+")
    category = pw.ForeignKeyField(Category, null=True, on_delete="SET NULL", backref="+")
    severity = pw.SmallIntegerField(null=True)
    group_by = pw.CharField(max_length=200, default="")
    recover_when_resolved = pw.BooleanField(null=True)
    service_id: int | None
    category_id: int | None


class IntakeAlert(Record):
    """An alert from monitoring, known by its sender's fingerprint or dedup key, and the
    incident it belongs to."""

    fingerprint = pw.CharField(max_length=300, unique=True)
    incident = pw.ForeignKeyField(Incident, on_delete="CASCADE", backref="+")
    group_key = pw.CharField(max_length=500, default="", index=True)
    firing = pw.BooleanField(default=True)
    starts_at = UTCDateTimeField(null=True)
    updated_at = UTCDateTimeField()
    incident_id: int


class IntakeRequest(Record):
    """A request the receiver has processed, by its own id or the digest of its body, so
    that a sender's retry is answered without being processed twice."""

    request_id = pw.CharField(max_length=200, unique=True)
    received_at = UTCDateTimeField(index=True)
    answer = pw.TextField(default="{}")


class SettingChange(Record):
    """Who changed which team-wide setting or catalog entry, when, from what to what."""

    changed_at = UTCDateTimeField(index=True)
    actor = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    setting = pw.CharField(max_length=64)
    old_value = pw.TextField(default="")
    new_value = pw.TextField(default="")
    actor_id: int | None


class AppliedWrite(Record):
    """A save this program sent with an id of its own (``storage/applied_writes.py``), so
    that the same save sent again, after its reply was lost, is not applied twice."""

    write_id = pw.CharField(max_length=64, unique=True)
    incident_id = pw.IntegerField()
    record_id = pw.IntegerField(null=True)  # what else it made: a timeline entry
    applied_at = UTCDateTimeField(index=True)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    SchemaInfo,
    Setting,
    Counter,
    Team,
    User,
    Service,
    Category,
    Incident,
    TimelineEntry,
    Blob,
    Attachment,
    Postmortem,
    ActionItem,
    IntakeRule,
    IntakeAlert,
    IntakeRequest,
    SettingChange,
    AppliedWrite,
)


@contextmanager
def bound_to(database: pw.Database) -> Iterator[None]:
    """Run the block with every model bound to ``database`` on this thread; a block inside
    one already bound to ``database`` costs nothing, and the binding before it comes back
    after it."""
    if ALL_MODELS[0]._meta.database is database:
        yield
        return
    # What peewee's bind_ctx does, without the work it spends on each model's references
    # (every model is in ALL_MODELS): this runs for every operation of every store.
    previous = [model._meta.database for model in ALL_MODELS]
    for model in ALL_MODELS:
        model._meta.set_database(database)
    try:
        yield
    finally:
        for model, earlier in zip(ALL_MODELS, previous, strict=True):
            model._meta.set_database(earlier)
