"""The shipped model: numpy inference must equal scikit-learn fed the same exported weights.

The vectorisers and the classifier are rebuilt in scikit-learn from the .npz alone (vocabularies, idf, coefficients,
intercepts), then both sides score the same texts: same category for every text, probabilities within 1e-9.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from paydesk.triage.model import MODEL_PATH, TriageModel, char_wb_ngrams, prepare, word_ngrams

DATA = MODEL_PATH.parent


def _sklearn_from_npz(path: Path) -> tuple[FeatureUnion, LogisticRegression]:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode("utf-8"))
        parts = []
        for spec in meta["blocks"]:
            terms = bytes(data[f"{spec['name']}_vocabulary"]).decode("utf-8").split("\n")
            vectorizer = TfidfVectorizer(
                analyzer=spec["analyzer"],
                ngram_range=tuple(spec["ngram_range"]),
                sublinear_tf=spec["sublinear_tf"],
                lowercase=False,
                vocabulary={t: i for i, t in enumerate(terms)},
            )
            vectorizer.fit(["placeholder text"])
            vectorizer.idf_ = np.asarray(data[f"{spec['name']}_idf"], dtype=np.float64)
            parts.append((spec["name"], vectorizer))
        clf = LogisticRegression()
        clf.classes_ = np.array(meta["classes"])
        clf.coef_ = np.asarray(data["coef"], dtype=np.float64).T.copy()
        clf.intercept_ = np.asarray(data["intercept"], dtype=np.float64)
        clf.n_features_in_ = clf.coef_.shape[1]
    return FeatureUnion(parts), clf


def _texts() -> list[str]:
    texts = []
    for lang in ("en", "ru"):
        with (DATA / f"examples_{lang}.jsonl").open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh)
    return [*texts[::3], "", "  ", "\x00", "ok", "ne prishli dengi", "ЁЛКИ 1500р!!!", "a" * 3000]


def test_numpy_inference_equals_scikit_learn_on_the_exported_weights() -> None:
    union, clf = _sklearn_from_npz(MODEL_PATH)
    model = TriageModel(MODEL_PATH)
    texts = _texts()
    expected = clf.predict_proba(union.transform([prepare(t) for t in texts]))
    for text, probs in zip(texts, expected, strict=True):
        prediction = model.predict(text)
        assert prediction.category == clf.classes_[int(np.argmax(probs))], text
        ours = np.array([prediction.probabilities[c] for c in clf.classes_])
        assert np.max(np.abs(ours - probs)) < 1e-9, text


def test_shipped_model_is_small_and_knows_all_categories() -> None:
    model = TriageModel(MODEL_PATH)
    assert MODEL_PATH.stat().st_size < 5_000_000
    assert len(model.classes) == 18
    assert "bonus_wagering" in model.classes
    assert "chargeback_dispute" in model.classes


@pytest.mark.parametrize("analyzer", ["word", "char_wb"])
@given(text=st.text(max_size=120))
def test_analysers_match_scikit_learn(analyzer: str, text: str) -> None:
    ngram_range = (1, 2) if analyzer == "word" else (2, 5)
    reference = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, lowercase=False).build_analyzer()
    prepared = prepare(text)
    ours = word_ngrams(prepared, ngram_range) if analyzer == "word" else char_wb_ngrams(prepared, ngram_range)
    assert ours == reference(prepared)


def test_prepare_folds_digits_case_and_yo() -> None:
    assert prepare("Ёлки 1500р, DEP-12") == "елки 0р, dep-0"
