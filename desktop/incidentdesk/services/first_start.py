"""The first start on a database: who the person is, and the first admin of a new database."""

from __future__ import annotations

from dataclasses import dataclass

from incidentdesk.domain.enums import Role
from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.services.catalog import NAME_MAX_LENGTH
from incidentdesk.services.desk import current_login, open_desk
from incidentdesk.storage import models as m

EMAIL_MAX_LENGTH = 200


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
    if email and ("@" not in email.strip("@") or " " in email or len(email) > EMAIL_MAX_LENGTH):
        errors.append(
            FieldError("email", "The e-mail address looks wrong; write it as name@example.org.")
        )
    if errors:
        raise ValidationFailed(errors)
    return Introduction(name, email)


def introduce(address: str, name: str, email: str, login: str | None = None) -> Role:
    """Open (creating if need be) the database at ``address`` and record the person's name
    and e-mail. A database with no admin yet (a new one) makes them its admin, so that
    someone can change the team's settings. Returns the role they have."""
    introduction = check_introduction(name, email)
    desk = open_desk(address, login or current_login())
    try:
        with desk.store.write():
            has_admin = m.User.select().where(m.User.role == Role.ADMIN.value).exists()
            person = m.User.get_by_id(desk.actor_id)
            changes: dict[str, str] = {}
            if introduction.name:
                changes["name"] = introduction.name
            if introduction.email:
                changes["email"] = introduction.email
            if not has_admin:
                changes["role"] = Role.ADMIN.value
            if changes:
                m.User.update(**changes).where(m.User.id == desk.actor_id).execute()
            return Role(changes.get("role", person.role))
    finally:
        desk.close()
