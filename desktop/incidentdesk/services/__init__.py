"""Use cases over the storage layer: Qt-free, returning plain dataclasses."""

# Services import peewee before they reach the storage package, which imports it without the
# PostgreSQL driver; importing storage first keeps that true whichever service comes first.
import incidentdesk.storage  # noqa: F401
