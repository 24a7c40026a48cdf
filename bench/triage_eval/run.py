"""Evaluate the shipped triage model: accuracy and macro-F1, language detection, throughput.

- Banking77's *test* split mapped to our categories through banking77_to_payments.csv (never used in training);
- our own held-out fifth of the EN and RU examples (the rows scripts/train_triage.py leaves out), each language
  separately, plus the Russian held-out rows transliterated to Latin letters;
- throughput of category + entities (the whole ``Triage.run``) on one core, over the Banking77 test texts and the
  held-out rows, best of three passes.

    .venv/bin/python bench/triage_eval/run.py [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.config.settings")
os.environ.setdefault("PAYDESK_HOME", str(Path(tempfile.gettempdir()) / "paydesk-bench-triage"))

from train_triage import BANKING77, is_held_out, load_examples  # noqa: E402

from paydesk.triage.language import transliterate  # noqa: E402
from paydesk.triage.model import MODEL_PATH, TriageModel  # noqa: E402
from paydesk.triage.pipeline import Triage  # noqa: E402

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def scores(gold: list[str], predicted: list[str]) -> dict[str, float]:
    labels = sorted(set(gold))
    f1s = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label and g != label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    return {"n": len(gold), "accuracy": round(accuracy, 4), "macro_f1": round(sum(f1s) / len(f1s), 4)}


def banking77_test() -> list[tuple[str, str]]:
    with (BANKING77 / "banking77_to_payments.csv").open(encoding="utf-8", newline="") as fh:
        mapping = {row["banking77_intent"]: row["payments_category"] for row in csv.DictReader(fh)}
    with (BANKING77 / "test.csv").open(encoding="utf-8", newline="") as fh:
        return [(row["text"], mapping[row["category"]]) for row in csv.DictReader(fh)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--model", type=Path, default=MODEL_PATH, help="a model file other than the shipped one")
    args = parser.parse_args()
    triage = Triage(TriageModel(args.model))
    report: dict[str, object] = {}

    sets: dict[str, list[tuple[str, str]]] = {}
    if (BANKING77 / "test.csv").exists():
        sets["banking77_test"] = banking77_test()
    for lang in ("en", "ru"):
        sets[f"own_heldout_{lang}"] = [row for row in load_examples(lang) if is_held_out(row[0])]
    sets["own_heldout_ru_latin"] = [(transliterate(t), c) for t, c in sets["own_heldout_ru"]]

    confusions: dict[str, list[tuple[tuple[str, str], int]]] = {}
    for name, rows in sets.items():
        predicted = [triage.model.predict(text).category for text, _ in rows]
        gold = [c for _, c in rows]
        report[name] = scores(gold, predicted)
        confusions[name] = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p).most_common(8)

    for name, expected in (("own_heldout_en", "en"), ("own_heldout_ru", "ru"), ("own_heldout_ru_latin", "ru")):
        detected = [triage.detector.detect(text) for text, _ in sets[name]]
        report[f"language_{name}"] = round(sum(d == expected for d in detected) / len(detected), 4)
    if "banking77_test" in sets:
        detected = [triage.detector.detect(text) for text, _ in sets["banking77_test"]]
        report["language_banking77_test"] = round(sum(d == "en" for d in detected) / len(detected), 4)

    texts = [t for rows in sets.values() for t, _ in rows]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for text in texts:
            triage.run(text, now=NOW)
        best = min(best, time.perf_counter() - started)
    report["throughput"] = {"messages": len(texts), "seconds": round(best, 3), "per_second": round(len(texts) / best)}

    if args.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        print(f"{key:28} {value}")
    for name, pairs in confusions.items():
        print(f"\ncommonest confusions in {name} (gold -> predicted):")
        for (g, p), n in pairs:
            print(f"  {n:4}  {g} -> {p}")


if __name__ == "__main__":
    main()
