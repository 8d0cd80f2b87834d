"""Postmortems: root cause analysis and action items, required before a major incident
closes unless a lead waives it."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime

import peewee as pw

from incidentdesk.domain.enums import ActionKind, ActionStatus, EntryKind
from incidentdesk.domain.permissions import Capability, Permission
from incidentdesk.domain.timeline import TimelineEntry
from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.errors import ServiceError
from incidentdesk.services.access import permission, require
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import NotAllowed, NotFound
from incidentdesk.services.incidents import IncidentService
from incidentdesk.services.sent_once import sent_once
from incidentdesk.services.timeline import TimelineService, add_entry
from incidentdesk.storage import models as m
from incidentdesk.storage.applied_writes import earlier_save, record_applied
from incidentdesk.storage.database import Store, store_operations

SECTION_MAX_LENGTH = 100_000
EDITED_ENTRY = "Postmortem edited:"  # how the timeline says the text was saved
ACTION_TITLE_MAX_LENGTH = 200


class ActionItemChanged(NotAllowed):
    """Someone else set the action item's status since it was shown; nothing was written."""


class PostmortemChanged(ServiceError):
    """Someone else saved the postmortem since the editing started; nothing was written.
    ``current`` is the postmortem as saved now, ``changed_by`` and ``changed_at`` who saved
    it last and when (where the timeline knows), for a section-by-section merge."""

    def __init__(
        self, current: PostmortemView, changed_by: str, changed_at: datetime | None
    ) -> None:
        self.current = current
        self.changed_by = changed_by
        self.changed_at = changed_at
        super().__init__(
            "Someone else saved this postmortem while you were editing it, so your changes "
            "were not saved; merge them with theirs and save again."
        )


@dataclass(frozen=True)
class PostmortemText:
    summary: str = ""
    impact: str = ""
    root_cause: str = ""
    contributing_factors: str = ""
    went_well: str = ""
    went_badly: str = ""


SECTION_LABELS = {
    "summary": "Summary",
    "impact": "Impact",
    "root_cause": "Root cause",
    "contributing_factors": "Contributing factors",
    "went_well": "What went well",
    "went_badly": "What went badly",
}


@dataclass(frozen=True)
class ActionItemView:
    id: int
    title: str
    kind: ActionKind
    owner_id: int | None
    owner_name: str
    due_on: date | None
    status: ActionStatus

    def is_overdue(self, today: date) -> bool:
        return (
            self.status is not ActionStatus.DONE and self.due_on is not None and self.due_on < today
        )


@dataclass(frozen=True)
class PostmortemView:
    incident_id: int
    text: PostmortemText
    version: int
    updated_at: datetime
    waiver_reason: str
    waived_by_name: str
    action_items: list[ActionItemView]
    pinned: list[TimelineEntry]


@store_operations
class PostmortemService:
    def __init__(
        self,
        store: Store,
        incidents: IncidentService,
        timeline: TimelineService,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._incidents = incidents
        self._timeline = timeline
        self._clock = clock

    def get(self, incident_id: int) -> PostmortemView | None:
        row = m.Postmortem.get_or_none(m.Postmortem.incident == incident_id)
        if row is None:
            return None
        waived_by = m.User.get_or_none(m.User.id == row.waived_by_id) if row.waived_by_id else None
        return PostmortemView(
            incident_id=incident_id,
            text=PostmortemText(
                **{field.name: getattr(row, field.name) for field in fields(PostmortemText)}
            ),
            version=row.version,
            updated_at=row.updated_at,
            waiver_reason=row.waiver_reason,
            waived_by_name=waived_by.name if waived_by else "",
            action_items=self._action_items(row.id),
            pinned=[entry for entry in self._timeline.entries(incident_id) if entry.pinned],
        )

    @staticmethod
    def _action_items(postmortem_id: int) -> list[ActionItemView]:
        query = (
            # The owner's id too: a joined owner without it would overwrite owner_id with None.
            m.ActionItem.select(m.ActionItem, m.User.id, m.User.name)
            .join(m.User, pw.JOIN.LEFT_OUTER, on=m.ActionItem.owner == m.User.id)
            .where(m.ActionItem.postmortem == postmortem_id)
            .order_by(m.ActionItem.id)
        )
        return [
            ActionItemView(
                row.id,
                row.title,
                ActionKind(row.kind),
                row.owner_id,
                row.owner.name if row.owner is not None else "",
                row.due_on,
                ActionStatus(row.status),
            )
            for row in query
        ]

    def _postmortem(self, incident_id: int) -> m.Postmortem:
        row = m.Postmortem.get_or_none(m.Postmortem.incident == incident_id)
        if row is None:
            raise NotFound("This incident has no postmortem yet; start it first.")
        return row

    def save_text(
        self,
        incident_id: int,
        text: PostmortemText,
        expected_version: int,
        actor_id: int | None,
        *,
        base: PostmortemText,
        write_id: str | None = None,
    ) -> PostmortemView:
        """Save the sections ``text`` changed from ``base``, the text the editing started
        from: a colleague's newer text in other sections stays. The stored postmortem must
        still be at ``expected_version``. With ``write_id`` it is applied once (see
        ``IncidentService.create``): a save applied already returns the postmortem as it is,
        without a conflict with itself."""
        return sent_once(
            write_id,
            lambda: self._save_text(incident_id, text, expected_version, actor_id, base, write_id),
        )

    def _save_text(
        self,
        incident_id: int,
        text: PostmortemText,
        expected_version: int,
        actor_id: int | None,
        base: PostmortemText,
        write_id: str | None,
    ) -> PostmortemView:
        errors = [
            FieldError(
                field.name, f"{SECTION_LABELS[field.name]} is too long or holds a NUL character."
            )
            for field in fields(PostmortemText)
            if len(getattr(text, field.name)) > SECTION_MAX_LENGTH
            or "\x00" in getattr(text, field.name)
        ]
        if errors:
            raise ValidationFailed(errors)
        now = self._clock()
        with self._store.write():
            if earlier_save(write_id) is not None:
                return self._view(incident_id)
            row = self._postmortem(incident_id)
            if row.version != expected_version:
                raise self._changed_meanwhile(incident_id)
            written = {
                field.name: getattr(text, field.name)
                for field in fields(PostmortemText)
                if getattr(text, field.name) != getattr(base, field.name)
                and getattr(text, field.name) != getattr(row, field.name)
            }
            if not written:
                record_applied(write_id, incident_id, now)  # its answer may be lost as well
                return self._view(incident_id)
            changed = [SECTION_LABELS[name] for name in written]
            updated = (
                m.Postmortem.update(updated_at=now, version=m.Postmortem.version + 1, **written)
                .where((m.Postmortem.id == row.id) & (m.Postmortem.version == expected_version))
                .execute()
            )
            if updated != 1:
                raise self._changed_meanwhile(incident_id)
            add_entry(
                incident_id,
                EntryKind.FIELD_CHANGE,
                f"{EDITED_ENTRY} {', '.join(changed)}",
                {"field": "postmortem", "sections": changed},
                actor_id,
                now,
                now,
            )
            record_applied(write_id, incident_id, now)
        return self._view(incident_id)

    def _changed_meanwhile(self, incident_id: int) -> PostmortemChanged:
        last_edit = (
            m.TimelineEntry.select(m.User.name, m.TimelineEntry.recorded_at)
            .join(m.User, pw.JOIN.LEFT_OUTER, on=m.TimelineEntry.author == m.User.id)
            .where(
                (m.TimelineEntry.incident == incident_id)
                & (m.TimelineEntry.kind == EntryKind.FIELD_CHANGE.value)
                & m.TimelineEntry.body.startswith(EDITED_ENTRY)
            )
            .order_by(m.TimelineEntry.id.desc())
            .tuples()
            .first()
        )
        changed_by, changed_at = last_edit if last_edit is not None else ("", None)
        return PostmortemChanged(self._view(incident_id), changed_by or "", changed_at)

    def _view(self, incident_id: int) -> PostmortemView:
        view = self.get(incident_id)
        assert view is not None
        return view

    def add_action_item(
        self,
        incident_id: int,
        title: str,
        kind: ActionKind,
        owner_id: int | None,
        due_on: date | None,
        actor_id: int | None,
        *,
        write_id: str | None = None,
    ) -> ActionItemView:
        """Add an action item to the postmortem, with a note in the timeline. ``write_id``
        as for ``save_text``: an item added already is returned, not added again."""
        return sent_once(
            write_id,
            lambda: self._add_action_item(
                incident_id, title, kind, owner_id, due_on, actor_id, write_id
            ),
        )

    def _add_action_item(
        self,
        incident_id: int,
        title: str,
        kind: ActionKind,
        owner_id: int | None,
        due_on: date | None,
        actor_id: int | None,
        write_id: str | None,
    ) -> ActionItemView:
        if not title.strip():
            raise ValidationFailed([FieldError("title", "Say what is to be done.")])
        if len(title) > ACTION_TITLE_MAX_LENGTH or any(ord(char) < 32 for char in title):
            raise ValidationFailed(
                [
                    FieldError(
                        "title",
                        "An action item is one line of at most "
                        f"{ACTION_TITLE_MAX_LENGTH} characters.",
                    )
                ]
            )
        now = self._clock()
        with self._store.write():
            row = self._postmortem(incident_id)
            added_before = earlier_save(write_id)
            if added_before is not None and added_before.record_id is not None:
                note = m.TimelineEntry.get_by_id(added_before.record_id)
                return self._action_item(row.id, json.loads(note.details)["action_item"])
            if owner_id is not None and not m.User.select().where(m.User.id == owner_id).exists():
                raise ValidationFailed([FieldError("owner", "That person is not known.")])
            item_id = m.ActionItem.insert(
                postmortem=row.id,
                title=title.strip(),
                kind=kind.value,
                owner=owner_id,
                due_on=due_on,
                status=ActionStatus.OPEN.value,
                created_at=now,
            ).execute()
            entry_id = add_entry(
                incident_id,
                EntryKind.NOTE,
                f"Action item added ({kind.label}): {title.strip()}",
                {"action_item": int(item_id)},
                actor_id,
                now,
                now,
            )
            record_applied(write_id, incident_id, now, record_id=entry_id)
        return self._action_item(row.id, item_id)

    def _action_item(self, postmortem_id: int, item_id: int) -> ActionItemView:
        return next(item for item in self._action_items(postmortem_id) if item.id == item_id)

    def set_action_status(
        self,
        item_id: int,
        status: ActionStatus,
        actor_id: int | None,
        *,
        was: ActionStatus,
        write_id: str | None = None,
    ) -> None:
        """Set the status of an item shown as ``was``; if someone else changed it since, it
        is refused (``ActionItemChanged``) rather than put back. ``write_id`` as for
        ``save_text``: a change applied already is left as it is, whatever was set since."""
        sent_once(
            write_id, lambda: self._set_action_status(item_id, status, actor_id, was, write_id)
        )

    def _set_action_status(
        self,
        item_id: int,
        status: ActionStatus,
        actor_id: int | None,
        was: ActionStatus,
        write_id: str | None,
    ) -> None:
        now = self._clock()
        with self._store.write():
            if earlier_save(write_id) is not None:
                return
            item = m.ActionItem.get_or_none(m.ActionItem.id == item_id)
            if item is None:
                raise NotFound(f"Action item {item_id} does not exist.")
            if item.status == status.value:
                return
            stale = ActionItemChanged(
                f"“{item.title}” was set to {ActionStatus(item.status).label.lower()} by "
                "someone else meanwhile; it is shown as it is now, so choose again if needed."
            )
            if item.status != was.value:
                raise stale
            updated = (
                m.ActionItem.update(status=status.value)
                .where((m.ActionItem.id == item_id) & (m.ActionItem.status == was.value))
                .execute()
            )
            if updated != 1:
                raise stale
            postmortem = m.Postmortem.get_by_id(item.postmortem_id)
            add_entry(
                postmortem.incident_id,
                EntryKind.NOTE,
                f"Action item “{item.title}”: {ActionStatus(item.status).label} → {status.label}",
                {"action_item": item_id, "status": status.value},
                actor_id,
                now,
                now,
            )
            record_applied(write_id, postmortem.incident_id, now)

    def may_waive(self, person_id: int | None) -> Permission:
        """Whether the person may waive a postmortem (leads and admins), and if not, why."""
        return permission(person_id, Capability.WAIVE_POSTMORTEM)

    def waive(
        self, incident_id: int, reason: str, actor_id: int | None, *, write_id: str | None = None
    ) -> PostmortemView:
        """A lead lets a major incident close without a complete postmortem, saying why.
        ``write_id`` as for ``save_text``: a waiver applied already is not logged twice."""
        return sent_once(write_id, lambda: self._waive(incident_id, reason, actor_id, write_id))

    def _waive(
        self, incident_id: int, reason: str, actor_id: int | None, write_id: str | None
    ) -> PostmortemView:
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "Say why the postmortem is waived.")])
        now = self._clock()
        with self._store.write():
            if earlier_save(write_id) is not None:
                return self._view(incident_id)
            require(actor_id, Capability.WAIVE_POSTMORTEM)
            if not m.Incident.select().where(m.Incident.id == incident_id).exists():
                raise NotFound(f"Incident {incident_id} does not exist.")
            m.Postmortem.insert(incident=incident_id, updated_at=now).on_conflict_ignore().execute()
            m.Postmortem.update(
                waiver_reason=reason.strip(), waived_by=actor_id, updated_at=now
            ).where(m.Postmortem.incident == incident_id).execute()
            add_entry(
                incident_id,
                EntryKind.NOTE,
                f"Postmortem waived: {reason.strip()}",
                {"waiver": reason.strip()},
                actor_id,
                now,
                now,
            )
            record_applied(write_id, incident_id, now)
        return self._view(incident_id)
