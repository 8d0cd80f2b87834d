"""Alerts from monitoring become incidents: one parser per sender's format, the rules kept in
the database, the processing that creates, groups and annotates incidents, and the HTTP
receiver that runs it. Qt-free, like the rest of the core."""
