"""The first start on a database: the first person becomes its admin, later ones staff."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentdesk.domain.enums import Role
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import open_desk
from incidentdesk.services.first_start import introduce
from incidentdesk.storage import models as m


def people(address: str) -> dict[str, tuple[str, str, str]]:
    desk = open_desk(address, login="reader")
    try:
        with desk.store.bound():
            return {row.login: (row.name, row.email, row.role) for row in m.User.select()}
    finally:
        desk.close()


def test_the_first_person_becomes_admin_and_the_next_staff(database_address: str) -> None:
    assert introduce(database_address, "Ada", "ada@example.org", login="ada") is Role.ADMIN
    assert introduce(database_address, "", "", login="bob") is Role.STAFF
    assert introduce(database_address, "Ada L.", "", login="ada") is Role.ADMIN
    found = people(database_address)
    assert found["ada"] == ("Ada L.", "ada@example.org", "admin")
    assert found["bob"] == ("bob", "", "staff")


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [
        ("Ada", "ada at example.org", "email"),
        ("Ada", "@", "email"),
        ("A" * 101, "", "name"),
        ("Ada\nLovelace", "", "name"),
    ],
)
def test_a_bad_name_or_email_is_refused_before_anything_is_written(
    sqlite_address: str, name: str, email: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        introduce(sqlite_address, name, email, login="ada")
    assert [error.field for error in refused.value.errors] == [field]
    assert not Path(sqlite_address.removeprefix("sqlite:///")).exists()
