"""Icons and templates shipped with Incident Desk (found with ``incidentdesk.paths.resource``)."""
