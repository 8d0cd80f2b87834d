"""Everything that touches the database, through peewee only."""
