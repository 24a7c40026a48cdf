"""``paydesk sla`` commands: JSON on stdout, the same services as the periodic job."""

from __future__ import annotations

import json
from typing import Any

import pytest

from paydesk.cli import main
from paydesk.sla.models import SlaPolicy


@pytest.mark.django_db
def test_defaults_then_scan_and_recompute_print_json(capsys: Any) -> None:
    for argv in (["sla", "defaults", "--json"], ["sla", "defaults", "--json"]):
        main(argv)
    outputs = capsys.readouterr().out.strip().splitlines()
    first, second = (json.loads(line) for line in outputs)
    assert first == second
    assert first["name"] == "Default"
    assert SlaPolicy.objects.count() == 1
    main(["sla", "scan", "--json"])
    assert json.loads(capsys.readouterr().out) == {
        "warnings": 0,
        "breaches": 0,
        "notified": 0,
        "bumped": 0,
        "escalated": 0,
    }
    main(["sla", "recompute", "--json"])
    assert json.loads(capsys.readouterr().out) == {"recomputed": 0}
