"""One open Incident Desk database with its services and the person using it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import peewee as pw

from incidentdesk.services.board import BoardService
from incidentdesk.services.catalog import CatalogService
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.drafts import DatabaseIdentity
from incidentdesk.services.incidents import IncidentService
from incidentdesk.services.lifecycle import LifecycleService
from incidentdesk.services.people import PeopleService, arrive
from incidentdesk.services.settings import SettingsService
from incidentdesk.services.timeline import TimelineService
from incidentdesk.storage.database import DatabaseOpenError, Store, open_store
from incidentdesk.storage.locations import parse_location
from incidentdesk.storage.logins import computer_login as current_login
from incidentdesk.storage.logins import database_login
from incidentdesk.storage.migrations import read_database_id

# current_login: the computer's login, by its name from before storage/logins.py.
__all__ = ["Desk", "current_login", "open_desk"]

if TYPE_CHECKING:
    from incidentdesk.services.attachments import AttachmentService
    from incidentdesk.services.postmortems import PostmortemService
    from incidentdesk.services.reports import ReportService
    from incidentdesk.services.statistics import StatisticsService
    from incidentdesk.services.team_settings import TeamSettingsService
    from incidentdesk.services.triage import TriageService


@dataclass
class Desk:
    store: Store
    actor_id: int
    clock: Clock = utc_now
    incidents: IncidentService = field(init=False)
    timeline: TimelineService = field(init=False)
    catalog: CatalogService = field(init=False)
    settings: SettingsService = field(init=False)
    lifecycle: LifecycleService = field(init=False)
    board: BoardService = field(init=False)
    identity: DatabaseIdentity = field(init=False)

    def __post_init__(self) -> None:
        self.identity = DatabaseIdentity(
            read_database_id(self.store.database), self.store.location.url
        )
        self.incidents = IncidentService(self.store, self.clock)
        self.timeline = TimelineService(self.store, self.clock)
        self.catalog = CatalogService(self.store)
        self.settings = SettingsService(self.store)
        self.lifecycle = LifecycleService(self.store, self.incidents, self.clock)
        self.board = BoardService(self.store, self.incidents, self.clock)

    # The services below are not needed to show the first list or board: imported and made
    # when first used, off the start-up path.

    @cached_property
    def attachments(self) -> AttachmentService:
        from incidentdesk.services.attachments import AttachmentService

        return AttachmentService(self.store, self.clock)

    @cached_property
    def triage(self) -> TriageService:
        from incidentdesk.services.triage import TriageService

        return TriageService(self.store, self.incidents, self.clock)

    @cached_property
    def postmortems(self) -> PostmortemService:
        from incidentdesk.services.postmortems import PostmortemService

        return PostmortemService(self.store, self.incidents, self.timeline, self.clock)

    @cached_property
    def reports(self) -> ReportService:
        from incidentdesk.services.reports import ReportService

        return ReportService(self.incidents, self.timeline, self.attachments, self.postmortems)

    @cached_property
    def statistics(self) -> StatisticsService:
        """The team leads' statistics, imported when first used (not at start-up)."""
        from incidentdesk.services.statistics import StatisticsService

        return StatisticsService(self.store, self.settings.sla_targets, self.clock)

    @cached_property
    def team_settings(self) -> TeamSettingsService:
        """Changing the team's settings (the settings window), imported when first used."""
        from incidentdesk.services.team_settings import TeamSettingsService

        return TeamSettingsService(self.store, self.actor_id, self.clock)

    @cached_property
    def people(self) -> PeopleService:
        """The people and their roles (the People tab, what the windows disable)."""
        return PeopleService(self.store, self.actor_id, self.clock)

    @property
    def display_name(self) -> str:
        return self.store.location.display_name

    def close(self) -> None:
        self.store.close()


def open_desk(address: str, login: str | None = None) -> Desk:
    """Open (creating or upgrading as needed) the database at ``address`` for ``login``
    (by default the person's login there: ``storage/logins.py``).

    A login the database does not know yet is added as staff: on PostgreSQL only those the
    server lets in get this far. The first person on a database with no admin becomes its
    admin, so that someone can manage its people and settings.

    Raises ``BadDatabaseAddress`` or ``DatabaseOpenError`` with a message to show as is.
    """
    store = open_store(parse_location(address))
    store.log_refused_grants()
    try:
        with store.bound():
            login = login or database_login(store.database)
        actor_id = arrive(store, login)
    except pw.DatabaseError as error:
        store.close()
        raise DatabaseOpenError(
            f"{store.location.display_name} could not tell who you are: {error}".rstrip(".") + "."
        ) from error
    return Desk(store, actor_id)
