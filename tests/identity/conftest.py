"""Identity test helpers: log capture at DEBUG, both as the app renders it and as raw records."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from modules.kernel.logs import JsonFormatter
from tests.conftest import RunningApp


class LogCapture(logging.Handler):
    """Every record twice: rendered like stderr (redacted) and raw (before any redaction).

    The raw form is the strict check: a secret must never even be handed to a logger.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._json = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self._json.format(record))
        self.lines.append(f"{record.getMessage()} {vars(record)!r}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def captured_logs(running: RunningApp) -> Iterator[LogCapture]:
    root = logging.getLogger()
    handler = LogCapture()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
