"""What the log says at INFO: the plan, progress, summaries and the total, nothing else.

The SDK's machinery lines (`METRIC:`, `Skipping deselected stream`...) become DEBUG lines,
shown with `TAP_GAINSIGHT_LOGLEVEL=DEBUG`; `log_metrics` keeps METRIC's.
"""

from __future__ import annotations

import logging

from singer_sdk import metrics

#: The tap's logger: at DEBUG, the demoted lines are shown (as DEBUG lines).
TAP_LOGGER = "tap-gainsight"
#: The SDK's INFO lines that describe its machinery rather than the sync.
SDK_INTERNALS = (
    "Skipping parse of env var settings",
    "Parsing env var for settings config",
    "Pagination stopped after",
    "Skipping deselected stream",
)


class Demoted(logging.Filter):
    """Makes a logger's INFO records starting with one of `prefixes` DEBUG ones ("": all).

    A filter runs after the level check: a demoted record is dropped unless the tap logs DEBUG.
    """

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but a demoted one at INFO, which only DEBUG shows."""
        if record.levelno != logging.INFO or not str(record.msg).startswith(self.prefixes):
            return True
        if not logging.getLogger(TAP_LOGGER).isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True


#: For the tap's logger and each stream's (`tap-gainsight.<stream>`).
SDK_INTERNAL_LINES = Demoted(SDK_INTERNALS)
_EVERY_INFO_LINE = Demoted(("",))


def quiet_internals() -> None:
    """Demote the SDK's internals on the tap's logger."""
    logging.getLogger(TAP_LOGGER).addFilter(SDK_INTERNAL_LINES)


def show_metrics(show: bool) -> None:
    """Log the SDK's METRIC lines at INFO (`log_metrics`), or only at DEBUG."""
    logger = metrics.get_metrics_logger()
    if show:
        logger.removeFilter(_EVERY_INFO_LINE)
    else:
        logger.addFilter(_EVERY_INFO_LINE)
