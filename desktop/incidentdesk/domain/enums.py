"""The fixed vocabularies of DESIGN.md (severity, urgency, priority, status, ...)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Severity(IntEnum):
    """How bad the impact is; SEV1 and SEV2 are major incidents."""

    SEV1 = 1
    SEV2 = 2
    SEV3 = 3
    SEV4 = 4
    SEV5 = 5

    @property
    def label(self) -> str:
        return f"SEV{self.value}"

    @property
    def description(self) -> str:
        return _SEVERITY_DESCRIPTIONS[self]

    @property
    def is_major(self) -> bool:
        return self <= Severity.SEV2


_SEVERITY_DESCRIPTIONS = {
    Severity.SEV1: "Critical: many or all customers affected, or data exposed; "
    "public communication",
    Severity.SEV2: "Major: a core function is down or badly degraded for a team, or security or "
    "compliance is at stake",
    Severity.SEV3: "Moderate: a function is impaired for some people; a workaround exists",
    Severity.SEV4: "Minor: a small group is inconvenienced",
    Severity.SEV5: "Cosmetic: no real impact on work",
}


class Urgency(IntEnum):
    """How fast the work must start, independent of how bad it is."""

    HIGH = 1
    MEDIUM = 2
    LOW = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


class Priority(IntEnum):
    """The order of work, from severity × urgency through the priority matrix."""

    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4
    P5 = 5

    @property
    def label(self) -> str:
        return f"P{self.value}"


class Status(StrEnum):
    """The lifecycle of an incident."""

    LOGGED = "logged"
    TRIAGED = "triaged"
    INVESTIGATING = "investigating"
    RECOVERED = "recovered"
    POSTMORTEM = "postmortem"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        return self not in (Status.CLOSED, Status.CANCELLED)


OPEN_STATUSES: tuple[Status, ...] = tuple(status for status in Status if status.is_open)


class SourceKind(StrEnum):
    """Where an incident came from: a monitoring system or a person."""

    MONITORING = "monitoring"
    EMPLOYEE = "employee"
    CUSTOMER = "customer"

    @property
    def label(self) -> str:
        return {
            SourceKind.MONITORING: "Monitoring system",
            SourceKind.EMPLOYEE: "Employee",
            SourceKind.CUSTOMER: "Customer",
        }[self]


class ImpactScope(StrEnum):
    """How many people are affected."""

    ONE = "one"
    TEAM = "team"
    MANY = "many"
    ALL = "all"

    @property
    def label(self) -> str:
        return {
            ImpactScope.ONE: "One person",
            ImpactScope.TEAM: "A team",
            ImpactScope.MANY: "Many customers",
            ImpactScope.ALL: "All customers",
        }[self]


class EscalationLevel(IntEnum):
    """Who is working on it: front line, second and third line, or an outside vendor."""

    L1 = 1
    L2 = 2
    L3 = 3
    VENDOR = 4

    @property
    def label(self) -> str:
        return "Vendor" if self is EscalationLevel.VENDOR else self.name


class EntryKind(StrEnum):
    """The kinds of entries in an incident's escalation and communication log."""

    NOTE = "note"
    STATUS_CHANGE = "status_change"
    FIELD_CHANGE = "field_change"
    ESCALATION = "escalation"
    COMMUNICATION = "communication"
    FINDING = "finding"
    ACTION_TAKEN = "action_taken"
    ATTACHMENT = "attachment"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Audience(StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class Channel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    STATUS_PAGE = "status_page"
    BRIDGE = "bridge"


class Role(StrEnum):
    STAFF = "staff"
    LEAD = "lead"
    ADMIN = "admin"


DEFAULT_CATEGORIES: tuple[str, ...] = ("Outage", "Degradation", "Bug", "Security", "Other")


class ActionKind(StrEnum):
    """What an action item does against a repeat: notice it sooner, stop it, or fix harm."""

    DETECT = "detect"
    PREVENT = "prevent"
    CORRECT = "correct"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()
