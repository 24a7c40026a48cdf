"""Score the diagnosis against the simulator's labelled world and print the confusion table (scenario × finding).

Seeds a world into a private PAYDESK_HOME (SQLite by default, or DATABASE_URL) unless it is already there, diagnoses
every transaction at the world's anchor and compares the primary finding with the expectation written in
``paydesk.investigations.evaluation.EXPECTED``.

    .venv/bin/python bench/diagnosis_eval/run.py [--players 2000] [--days 90] [--seed 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.config.settings")
os.environ.setdefault("PAYDESK_HOME", str(Path(tempfile.gettempdir()) / "paydesk-bench-diagnosis"))

import django  # noqa: E402

ANCHOR = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()

    Path(os.environ["PAYDESK_HOME"]).mkdir(parents=True, exist_ok=True)
    django.setup()
    from django.core.management import call_command

    from paydesk.investigations.evaluation import evaluate
    from paydesk.simulate.seed import seed_world

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    seeded = seed_world(players=args.players, days=args.days, seed=args.seed, anchor=ANCHOR)
    seed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = evaluate(tag=seeded.tag, anchor=seeded.anchor)
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps({**report.as_dict(), "seconds": round(seconds, 2)}, indent=2, ensure_ascii=False))
    else:
        print(seeded.describe(), f"(seed step {seed_seconds:.1f} s)", file=sys.stderr)
        print(report.table())
        print()
        print(
            f"{report.correct}/{report.total} transactions diagnosed as expected ({report.accuracy:.3%}); "
            f"label details carried by the finding {report.detail_correct}/{report.detail_checked}; "
            f"{seconds:.1f} s ({report.total / seconds:,.0f} diagnoses/s)"
        )
        for mistake in report.mistakes[:20]:
            print(json.dumps(mistake, ensure_ascii=False, default=str), file=sys.stderr)
    return 0 if report.correct == report.total else 1


if __name__ == "__main__":
    raise SystemExit(main())
