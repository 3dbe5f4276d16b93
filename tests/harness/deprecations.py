"""How a test tells that Home Assistant reports a deprecated use by Hearth."""

from __future__ import annotations

import logging
import re

#: How Home Assistant says that Hearth uses an API that is deprecated or used
#: wrongly: its frame helper ("Detected that custom integration 'hearth' ...",
#: from report_usage and report) and its deprecation helper ("The deprecated
#: constant X was used from hearth. ...").
DEPRECATION_REPORT = re.compile(
    r"Detected that custom integration 'hearth'|The deprecated .+ was \w+ from hearth\."
)


class DeprecationReports(logging.Handler):
    """Collect the log records in which Home Assistant reports a deprecated use."""

    def __init__(self) -> None:
        """Collect nothing yet."""
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's message if it is such a report."""
        message = record.getMessage()
        if DEPRECATION_REPORT.search(message):
            self.reports.append(message)
