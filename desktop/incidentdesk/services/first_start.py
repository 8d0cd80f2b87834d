"""The first start on a database: who the person is, and the first admin of a new database."""

from __future__ import annotations

from dataclasses import dataclass

from incidentdesk.domain.enums import Role
from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.services.catalog import NAME_MAX_LENGTH
from incidentdesk.services.desk import open_desk
from incidentdesk.services.people import email_errors
from incidentdesk.storage import models as m


@dataclass(frozen=True)
class Introduction:
    name: str
    email: str


def check_introduction(name: str, email: str) -> Introduction:
    """The name and e-mail as given, cleaned; each field's problem named."""
    name, email = name.strip(), email.strip()
    errors = []
    if len(name) > NAME_MAX_LENGTH or "\n" in name:
        errors.append(
            FieldError("name", f"Your name is one line of at most {NAME_MAX_LENGTH} characters.")
        )
    errors += email_errors(email)
    if errors:
        raise ValidationFailed(errors)
    return Introduction(name, email)


def introduce(address: str, name: str, email: str, login: str | None = None) -> Role:
    """Open (creating if need be) the database at ``address`` and record the person's name
    and e-mail. ``login`` is by default the one the database knows them by
    (``storage/logins.py``). A database with no admin yet (a new one) makes them its admin
    (``open_desk``), so that someone can manage its people and settings. Returns the role
    they have."""
    introduction = check_introduction(name, email)
    desk = open_desk(address, login)
    try:
        with desk.store.write():
            changes: dict[str, str] = {}
            if introduction.name:
                changes["name"] = introduction.name
            if introduction.email:
                changes["email"] = introduction.email
            if changes:
                m.User.update(**changes).where(m.User.id == desk.actor_id).execute()
            return Role(m.User.get_by_id(desk.actor_id).role)
    finally:
        desk.close()
