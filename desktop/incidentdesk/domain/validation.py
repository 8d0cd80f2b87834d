"""Rules a draft must meet before it is stored, each failure naming its field."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from incidentdesk.domain.incident import IncidentDraft, Links
from incidentdesk.errors import ServiceError

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 200_000
SHORT_TEXT_MAX_LENGTH = 200
LINK_MAX_LENGTH = 2_000
# Clocks of different machines disagree a little; a report a few minutes "ahead" is not an error.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)
# Below space and DEL, but for the line breaks and tab text may have (a search, not a loop
# over each character: a description of 20,000 characters is checked at every save).
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ValidationFailed(ServiceError, ValueError):
    """A draft broke one or more rules; ``errors`` names each field and what is wrong."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in errors))

    @property
    def message(self) -> str:
        """Each field's sentence, without the field names (the form marks the fields)."""
        return " ".join(error.message for error in self.errors)


def _has_control_characters(text: str) -> bool:
    return _CONTROL_CHARACTER.search(text) is not None


def _check_text(
    name: str, label: str, text: str, limit: int, *, multiline: bool
) -> list[FieldError]:
    errors = []
    if len(text) > limit:
        errors.append(
            FieldError(name, f"{label} is {len(text):,} characters; the limit is {limit:,}.")
        )
    if "\x00" in text:
        errors.append(
            FieldError(name, f"{label} contains a NUL character, which cannot be stored.")
        )
    elif not multiline and ("\n" in text or "\r" in text):
        errors.append(FieldError(name, f"{label} must be a single line."))
    elif _has_control_characters(text):
        errors.append(FieldError(name, f"{label} contains invisible control characters."))
    if _LONE_SURROGATE.search(text) is not None:
        errors.append(FieldError(name, f"{label} contains broken Unicode (a lone surrogate)."))
    return errors


def _check_link(name: str, label: str, url: str) -> list[FieldError]:
    errors = _check_text(name, label, url, LINK_MAX_LENGTH, multiline=False)
    if url and not errors and (" " in url.strip() or "://" not in url):
        errors.append(FieldError(name, f"{label} must be a full address such as https://…"))
    return errors


def validate_draft(draft: IncidentDraft, now: datetime) -> list[FieldError]:
    """Every rule the draft breaks; an empty list means it may be stored."""
    errors: list[FieldError] = []
    if not draft.title.strip():
        errors.append(FieldError("title", "Give the incident a title."))
    errors += _check_text("title", "The title", draft.title, TITLE_MAX_LENGTH, multiline=False)
    errors += _check_text(
        "description", "The description", draft.description, DESCRIPTION_MAX_LENGTH, multiline=True
    )
    for name, label in (("source_name", "The source"), ("source_contact", "The contact")):
        errors += _check_text(
            name, label, getattr(draft, name), SHORT_TEXT_MAX_LENGTH, multiline=False
        )
    if draft.reported_at.tzinfo is None:
        errors.append(FieldError("reported_at", "The reported time has no time zone."))
    elif draft.reported_at > now + CLOCK_SKEW_ALLOWANCE:
        errors.append(FieldError("reported_at", "The reported time is in the future."))
    link_labels = {"chat": "The chat channel", "bridge": "The video bridge", "ticket": "The ticket"}
    for link_field in fields(Links):
        errors += _check_link(
            f"links.{link_field.name}",
            link_labels[link_field.name],
            getattr(draft.links, link_field.name),
        )
    return errors


def require_valid(draft: IncidentDraft, now: datetime) -> None:
    errors = validate_draft(draft, now)
    if errors:
        raise ValidationFailed(errors)
