"""Train the triage classifier and export it to src/paydesk/triage/data/triage_model.npz (no pickle).

Training data:
- our own examples (src/paydesk/triage/data/examples_{en,ru}.jsonl) minus a held-out fifth chosen by a hash of the
  text (the same rows every run; bench/triage_eval scores them), plus a Latin transliteration of every Russian
  training row, because players type Russian in Latin letters too;
- Banking77's *train* split mapped to our categories through banking77_to_payments.csv, when ../shared/data is
  there. Banking77's test split is never read here.

The exported file is checked before it replaces the shipped one: paydesk.triage.model must give the same category as
scikit-learn for every row of a sample and probabilities within 1e-9.

    .venv/bin/python scripts/train_triage.py               # train and export
    .venv/bin/python scripts/train_triage.py --validate    # score on a validation split of the training pool only
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from paydesk.triage.language import transliterate  # noqa: E402
from paydesk.triage.model import MODEL_PATH, TriageModel, prepare  # noqa: E402

DATA = ROOT / "src" / "paydesk" / "triage" / "data"
BANKING77 = ROOT.parent / "shared" / "data" / "banking77"
CATEGORIES = (
    "deposit_pending", "deposit_failed", "deposit_not_credited", "withdrawal_pending", "withdrawal_failed",
    "withdrawal_not_received", "refund_request", "refund_not_received", "duplicate_charge", "unrecognised_transaction",
    "chargeback_dispute", "verification_kyc", "fees_and_limits", "exchange_rate", "payment_method_issue",
    "account_access", "bonus_wagering", "other",
)  # fmt: skip
_LATIN_WORD_RE = re.compile(r"[a-z']{2,}")


def is_held_out(text: str) -> bool:
    """The deterministic fifth of our examples kept out of training (bench/triage_eval uses the same rule)."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % 5 == 0  # noqa: S324 - a split, not security


def load_examples(lang: str) -> list[tuple[str, str]]:
    rows = []
    with (DATA / f"examples_{lang}.jsonl").open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            row = json.loads(line)
            if row["category"] not in CATEGORIES:
                raise SystemExit(f"examples_{lang}.jsonl line {number}: unknown category {row['category']!r}")
            rows.append((row["text"], row["category"]))
    return rows


def load_banking77_train() -> list[tuple[str, str]]:
    mapping_path = BANKING77 / "banking77_to_payments.csv"
    if not mapping_path.exists():
        print(f"Banking77 not found at {BANKING77}; training on our examples only", file=sys.stderr)
        return []
    with mapping_path.open(encoding="utf-8", newline="") as fh:
        mapping = {row["banking77_intent"]: row["payments_category"] for row in csv.DictReader(fh)}
    rows = []
    with (BANKING77 / "train.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.append((row["text"], mapping[row["category"]]))
    return rows


def build_union(word_features: int, char_features: int) -> FeatureUnion:
    common = {"lowercase": False, "sublinear_tf": True, "min_df": 2, "dtype": np.float64}
    return FeatureUnion(
        [
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), max_features=word_features, **common)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), max_features=char_features, **common)),
        ]
    )


def training_pool(own: list[tuple[str, str]], banking: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], int]:
    """Our examples, their transliterations, then Banking77; and how many rows are ours."""
    pool = list(own)
    for text, category in own:
        if re.search(r"[а-яё]", text, re.IGNORECASE):
            alternative = int(hashlib.md5(text.encode()).hexdigest()[:2], 16) % 2 == 1  # noqa: S324
            pool.append((transliterate(text, alternative=alternative), category))
    own_rows = len(pool)
    pool.extend(banking)
    return pool, own_rows


def fit(
    pool: list[tuple[str, str]], args: argparse.Namespace, own_rows: int
) -> tuple[FeatureUnion, LogisticRegression]:
    """Fit on ``pool``; its first ``own_rows`` rows are our own examples (and their transliterations)."""
    union = build_union(args.word_features, args.char_features)
    x = union.fit_transform([prepare(t) for t, _ in pool])
    y = [c for _, c in pool]
    clf = LogisticRegression(C=args.C, max_iter=3000, class_weight="balanced" if args.balanced else None)
    # Our own examples are few next to Banking77's and are the only ones in the desk's own words (and the only
    # Russian ones), so each counts ``own_weight`` times.
    weights = np.array([args.own_weight if i < own_rows else 1.0 for i in range(len(pool))])
    clf.fit(x, y, sample_weight=weights)
    return union, clf


def word_list(texts: list[str]) -> list[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_LATIN_WORD_RE.findall(text.lower()))
    return sorted(counts)


def encode_terms(terms: list[str]) -> np.ndarray:
    if any("\n" in t for t in terms):
        raise SystemExit("a vocabulary term contains a newline; cannot export")
    return np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)


def export(
    union: FeatureUnion, clf: LogisticRegression, path: Path, *, ru_latin: list[str], en: list[str], info: dict
) -> None:
    arrays: dict[str, np.ndarray] = {}
    blocks = []
    for name, vectorizer in union.transformer_list:
        terms = [""] * len(vectorizer.vocabulary_)
        for term, index in vectorizer.vocabulary_.items():
            terms[index] = term
        arrays[f"{name}_vocabulary"] = encode_terms(terms)
        arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float64)
        blocks.append(
            {
                "name": name,
                "analyzer": vectorizer.analyzer,
                "ngram_range": list(vectorizer.ngram_range),
                "sublinear_tf": vectorizer.sublinear_tf,
            }
        )
    arrays["coef"] = clf.coef_.T.astype(np.float32)
    arrays["intercept"] = clf.intercept_.astype(np.float64)
    arrays["ru_latin_words"] = encode_terms(ru_latin)
    arrays["en_words"] = encode_terms(en)
    meta = {"format": 1, "classes": [str(c) for c in clf.classes_], "blocks": blocks, **info}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(path, **arrays)


def check_parity(union: FeatureUnion, clf: LogisticRegression, path: Path, sample: list[str]) -> tuple[int, float]:
    """Mismatching predictions and the largest probability difference between scikit-learn and the numpy model."""
    # Score scikit-learn with the float32 weights that were exported, so any difference is the featurisation's.
    clf.coef_ = clf.coef_.astype(np.float32).astype(np.float64)
    model = TriageModel(path)
    expected = clf.predict_proba(union.transform([prepare(t) for t in sample]))
    mismatches = 0
    worst = 0.0
    for text, probs in zip(sample, expected, strict=True):
        ours = model.predict(text)
        if ours.category != clf.classes_[int(np.argmax(probs))]:
            mismatches += 1
        ours_probs = np.array([ours.probabilities[c] for c in clf.classes_])
        worst = max(worst, float(np.max(np.abs(ours_probs - probs))))
    return mismatches, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--C", type=float, default=10.0)
    parser.add_argument("--word-features", type=int, default=20000)
    parser.add_argument("--char-features", type=int, default=40000)
    parser.add_argument("--own-weight", type=float, default=1.0, help="sample weight of our own examples")
    parser.add_argument("--balanced", action="store_true", help="class_weight='balanced'")
    parser.add_argument("--validate", action="store_true", help="report accuracy on a split of the training pool")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    own_train: list[tuple[str, str]] = []
    train_by_lang: dict[str, list[str]] = {}
    counts = {}
    for lang in ("en", "ru"):
        rows = load_examples(lang)
        train = [r for r in rows if not is_held_out(r[0])]
        counts[lang] = {"total": len(rows), "train": len(train), "held_out": len(rows) - len(train)}
        own_train.extend(train)
        train_by_lang[lang] = [t for t, _ in train]
    banking = load_banking77_train()
    print(f"own examples: {counts}; banking77 train rows: {len(banking)}", file=sys.stderr)

    if args.validate:
        rng = random.Random(1)
        pool, own_rows = training_pool(own_train, banking)
        valid_idx = set(rng.sample(range(len(pool)), len(pool) * 15 // 100))
        train_rows = [row for i, row in enumerate(pool) if i not in valid_idx]
        valid = [row for i, row in enumerate(pool) if i in valid_idx]
        started = time.perf_counter()
        union, clf = fit(train_rows, args, own_rows - sum(1 for i in valid_idx if i < own_rows))
        predicted = clf.predict(union.transform([prepare(t) for t, _ in valid]))
        accuracy = sum(p == c for p, (_, c) in zip(predicted, valid, strict=True)) / len(valid)
        print(f"validation accuracy {accuracy:.4f} on {len(valid)} rows ({time.perf_counter() - started:.0f}s)")
        return

    started = time.perf_counter()
    pool, own_rows = training_pool(own_train, banking)
    union, clf = fit(pool, args, own_rows)
    print(f"trained in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    ru_texts = train_by_lang["ru"]
    ru_latin = word_list([transliterate(t) for t in ru_texts] + [transliterate(t, alternative=True) for t in ru_texts])
    en = word_list(train_by_lang["en"] + [t for t, _ in banking])
    info = {
        "trained_on": {"own": counts, "banking77_train_rows": len(banking)},
        "C": args.C,
        "own_weight": args.own_weight,
        "balanced": args.balanced,
    }
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / "triage_model.npz"
        export(union, clf, candidate, ru_latin=ru_latin, en=en, info=info)
        rng = random.Random(2)
        sample = rng.sample([t for t, _ in own_train + banking], min(600, len(own_train) + len(banking)))
        sample += ["", "   ", "0000", "привет", "\x00\x01 ok", "ё" * 50]
        mismatches, worst = check_parity(union, clf, candidate, sample)
        print(f"parity: {mismatches} mismatches on {len(sample)} texts, max |dp| {worst:.2e}", file=sys.stderr)
        if mismatches or worst > 1e-9:
            raise SystemExit("numpy inference does not match scikit-learn; model not written")
        args.out.write_bytes(candidate.read_bytes())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
