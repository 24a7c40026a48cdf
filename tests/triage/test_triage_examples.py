"""Our labelled examples: enough per category and language, valid labels, Russian in both scripts, none copied."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from paydesk.triage.model import MODEL_PATH, TriageModel

DATA = MODEL_PATH.parent


def _rows(lang: str) -> list[dict[str, str]]:
    with (DATA / f"examples_{lang}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_at_least_60_examples_per_category(lang: str) -> None:
    rows = _rows(lang)
    assert all(set(row) == {"text", "category"} for row in rows)
    counts = Counter(row["category"] for row in rows)
    assert set(counts) == set(TriageModel(MODEL_PATH).classes)
    assert min(counts.values()) >= 60
    texts = [row["text"].lower() for row in rows]
    assert len(set(texts)) == len(texts)


def test_russian_examples_come_in_both_scripts() -> None:
    rows = _rows("ru")
    latin = [r for r in rows if not re.search("[а-яё]", r["text"], re.IGNORECASE)]
    assert 0.1 < len(latin) / len(rows) < 0.4


def test_no_example_is_a_banking77_sentence(shared_data: Path) -> None:
    banking = set()
    for split in ("train.csv", "test.csv"):
        with (shared_data / "banking77" / split).open(encoding="utf-8", newline="") as fh:
            banking.update(row["text"].strip().lower() for row in csv.DictReader(fh))
    ours = {row["text"].strip().lower() for lang in ("en", "ru") for row in _rows(lang)}
    assert ours & banking == set()
