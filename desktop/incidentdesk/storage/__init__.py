"""Everything that touches the database, through peewee only."""

from incidentdesk.storage.postgres_driver import import_peewee_without_drivers

# Before any storage module imports peewee: it would import the PostgreSQL driver with it.
import_peewee_without_drivers()
