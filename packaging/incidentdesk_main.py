"""The bundle's entry point: the ``incidentdesk`` command, as installed by pip."""

from incidentdesk.cli import main

raise SystemExit(main())
