"""The multiprocess folder's housekeeping (``PROMETHEUS_MULTIPROC_DIR``).

Every process that counts (gunicorn workers, Celery pool processes) writes
its own files there, named by its pid; a scrape sums them. The web server
cleans it when it starts, but only of processes that no longer run: a
Celery worker on the same host writing to the same folder keeps its counts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from prometheus_client import multiprocess

from omd_gov.observability.metrics import multiprocess_dir

log = logging.getLogger(__name__)


def clean_at_start() -> None:
    """Create the folder, and drop the files of processes that are gone."""
    folder = multiprocess_dir()
    if folder is None:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for path in Path(folder).glob("*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def process_gone(pid: int) -> None:
    """A worker process exited: its live gauges stop counting."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)


def warn_if_single(workers: int) -> None:
    if workers > 1 and multiprocess_dir() is None:
        log.warning(
            "PROMETHEUS_MULTIPROC_DIR is not set: with %d workers, /metrics shows only "
            "the counts of the worker that answers the scrape",
            workers,
        )


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
