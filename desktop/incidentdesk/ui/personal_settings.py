"""Each person's own settings, kept in QSettings on their computer: the theme, whether times
show in local time or UTC, and which notifications they want."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from incidentdesk.services.notifications import NotificationKind
from incidentdesk.ui import times
from incidentdesk.ui.theme import outline_if_dark, use_dark_theme, use_light_theme

THEME_KEY = "personal/theme"
TIME_DISPLAY_KEY = "personal/time_display"
NOTIFICATIONS_KEY = "personal/notifications/"
EnumT = TypeVar("EnumT", bound=StrEnum)


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"

    @property
    def label(self) -> str:
        return {"system": "Same as the system", "light": "Light", "dark": "Dark"}[self.value]


class TimeDisplay(StrEnum):
    LOCAL = "local"
    UTC = "utc"

    @property
    def label(self) -> str:
        return "Local time of this computer" if self is TimeDisplay.LOCAL else "UTC"


# What someone may want to hear about (ui/notifications.py tells them), by setting key.
NOTIFICATION_KINDS: tuple[tuple[str, str], ...] = tuple(
    (kind.value, kind.label) for kind in NotificationKind
)


@dataclass(frozen=True)
class PersonalSettings:
    theme: Theme = Theme.SYSTEM
    time_display: TimeDisplay = TimeDisplay.LOCAL
    notifications: dict[str, bool] = field(
        default_factory=lambda: {kind: True for kind, _ in NOTIFICATION_KINDS}
    )


def _choice(kind: type[EnumT], text: object, default: EnumT) -> EnumT:
    try:
        return kind(str(text))
    except ValueError:  # a value written by another version, or by hand
        return default


def load_personal_settings() -> PersonalSettings:
    settings = QSettings()
    return PersonalSettings(
        theme=_choice(Theme, settings.value(THEME_KEY, Theme.SYSTEM.value), Theme.SYSTEM),
        time_display=_choice(
            TimeDisplay, settings.value(TIME_DISPLAY_KEY, "local"), TimeDisplay.LOCAL
        ),
        notifications={
            kind: bool(settings.value(NOTIFICATIONS_KEY + kind, True, type=bool))
            for kind, _ in NOTIFICATION_KINDS
        },
    )


def wanted_notifications() -> frozenset[NotificationKind]:
    """The kinds of notification the person has not turned off, as they are now."""
    settings = QSettings()
    return frozenset(
        kind
        for kind in NotificationKind
        if settings.value(NOTIFICATIONS_KEY + kind.value, True, type=bool)
    )


def save_personal_settings(chosen: PersonalSettings) -> None:
    settings = QSettings()
    settings.setValue(THEME_KEY, chosen.theme.value)
    settings.setValue(TIME_DISPLAY_KEY, chosen.time_display.value)
    for kind, wanted in chosen.notifications.items():
        settings.setValue(NOTIFICATIONS_KEY + kind, wanted)


_system_look: dict[str, QPalette] = {}


def apply_personal_settings(app: QApplication, chosen: PersonalSettings) -> None:
    """Use the theme and time display chosen; "system" goes back to the palette the program
    started with."""
    _system_look.setdefault("palette", QPalette(app.palette()))
    if chosen.theme is Theme.DARK:
        use_dark_theme(app)
    elif chosen.theme is Theme.LIGHT:
        use_light_theme(app)
    else:
        app.setPalette(_system_look["palette"])
        outline_if_dark(app)
    times.show_times_in_utc(chosen.time_display is TimeDisplay.UTC)
