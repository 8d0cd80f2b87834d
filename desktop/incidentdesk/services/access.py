"""The services' check of the person's role (``domain/permissions.py`` decides), read from
the database at each change, so a role changed by an admin holds at once on every desk.
Called inside a service's bound store operation."""

from __future__ import annotations

from incidentdesk.domain.enums import Role
from incidentdesk.domain.permissions import Capability, Permission, decide, has
from incidentdesk.services.errors import NotAllowed
from incidentdesk.storage import models as m


def role_of(person_id: int | None) -> Role | None:
    """The person's role; None for no person (a write with no author) or one not listed."""
    if person_id is None:
        return None
    # Plain SQL on the bound database: peewee builds this query in ten times the time the
    # database answers it, and every guarded write and every window's check asks it.
    database = m.User._meta.database
    row = database.execute_sql(
        f'SELECT role FROM "{m.User._meta.table_name}" WHERE id = {database.param}',
        (person_id,),
    ).fetchone()
    return Role(row[0]) if row is not None else None


def _deciders(capability: Capability) -> list[str]:
    """The names of the people who may, to say whom to ask."""
    roles = [role.value for role in Role if has(role, capability)]
    query = m.User.select(m.User.name).where(m.User.role.in_(roles)).order_by(m.User.name)
    return [str(person.name) for person in query.limit(4)]


def permission(person_id: int | None, capability: Capability) -> Permission:
    role = role_of(person_id)
    if has(role, capability):
        return Permission(True)
    return decide(role, capability, _deciders(capability))


def require(person_id: int | None, capability: Capability) -> None:
    """Raise ``NotAllowed``, saying who may and whom to ask, unless the person may."""
    decision = permission(person_id, capability)
    if not decision.allowed:
        raise NotAllowed(decision.reason)
