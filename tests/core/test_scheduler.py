"""The embedded scheduler imports its jobs' modules in the thread that starts it, before its own thread runs."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from paydesk.core.scheduler import EmbeddedScheduler, PeriodicJob


def test_start_imports_every_job_module_in_the_calling_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "paydesk_sched_probe.py").write_text(
        "import threading\nIMPORTED_IN = threading.current_thread().name\ndef job():\n    return None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "paydesk_sched_probe", raising=False)
    ran: list[str] = []
    monkeypatch.setattr(EmbeddedScheduler, "_run", lambda self: ran.append(threading.current_thread().name))
    scheduler = EmbeddedScheduler((PeriodicJob("paydesk_sched_probe.job", 60.0),))

    scheduler.start()
    scheduler.stop()

    probe: Any = sys.modules["paydesk_sched_probe"]
    imported_in = probe.IMPORTED_IN
    assert imported_in == threading.current_thread().name
    assert ran == ["paydesk-scheduler"]
