"""The triage classifier at run time: shipped weights and a numpy-only reimplementation of the scikit-learn pipeline.

The model was trained by ``scripts/train_triage.py`` as TF-IDF over word 1-2-grams and character 2-5-grams inside word
boundaries (scikit-learn's ``char_wb``), each block L2-normalised, followed by a multinomial logistic regression.
It ships as ``data/triage_model.npz``: vocabularies, idf vectors, coefficients, intercepts and class names in plain
arrays — no pickle — so any numpy can read it and scikit-learn is never needed at run time. The featurisation below
must stay byte-for-byte the analyser scikit-learn used in training; the training script checks parity on a sample
before it writes the file, and tests check it again against the file.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_PATH = Path(__file__).resolve().parent / "data" / "triage_model.npz"

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_DIGITS_RE = re.compile(r"\d+")
_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_WHITE_SPACES_RE = re.compile(r"\s\s+")  # scikit-learn's whitespace normalisation for char analysers


def prepare(text: str) -> str:
    """The text the vectorisers see, in training and at run time alike.

    Lower case, ``ё`` as ``е``, control characters dropped and every run of digits folded to ``0`` so that amounts,
    card digits and references don't become features of their own.
    """
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL_RE.sub(" ", text).lower().replace("ё", "е")
    return _DIGITS_RE.sub("0", text)


def word_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    tokens = _TOKEN_RE.findall(text)
    min_n, max_n = ngram_range
    grams = list(tokens) if min_n == 1 else []
    start = 2 if min_n == 1 else min_n
    for n in range(start, min(max_n + 1, len(tokens) + 1)):
        for i in range(len(tokens) - n + 1):
            grams.append(" ".join(tokens[i : i + n]))
    return grams


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    text = _WHITE_SPACES_RE.sub(" ", text)
    min_n, max_n = ngram_range
    grams: list[str] = []
    for word in text.split():
        w = f" {word} "
        w_len = len(w)
        for n in range(min_n, max_n + 1):
            offset = 0
            grams.append(w[offset : offset + n])
            while offset + n < w_len:
                offset += 1
                grams.append(w[offset : offset + n])
            if offset == 0:
                break
    return grams


@dataclass(frozen=True, slots=True)
class _Block:
    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float64]
    offset: int
    analyzer: str
    ngram_range: tuple[int, int]
    sublinear_tf: bool


@dataclass(frozen=True, slots=True)
class Prediction:
    category: str
    confidence: float
    probabilities: dict[str, float]


def _decode_vocabulary(raw: npt.NDArray[Any]) -> dict[str, int]:
    terms = bytes(raw).decode("utf-8").split("\n") if raw.size else []
    return {term: index for index, term in enumerate(terms)}


class TriageModel:
    """Category scores for a message from the shipped weights."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            self.classes: list[str] = list(meta["classes"])
            self.meta: dict[str, Any] = meta
            blocks: list[_Block] = []
            offset = 0
            for spec in meta["blocks"]:
                name = spec["name"]
                vocabulary = _decode_vocabulary(data[f"{name}_vocabulary"])
                blocks.append(
                    _Block(
                        vocabulary=vocabulary,
                        idf=np.asarray(data[f"{name}_idf"], dtype=np.float64),
                        offset=offset,
                        analyzer=spec["analyzer"],
                        ngram_range=(int(spec["ngram_range"][0]), int(spec["ngram_range"][1])),
                        sublinear_tf=bool(spec["sublinear_tf"]),
                    )
                )
                offset += len(vocabulary)
            self._blocks = tuple(blocks)
            self.coef: npt.NDArray[np.float64] = np.asarray(data["coef"], dtype=np.float64)  # (features, classes)
            self.intercept: npt.NDArray[np.float64] = np.asarray(data["intercept"], dtype=np.float64)
            self.ru_latin_words: tuple[str, ...] = tuple(_decode_vocabulary(data["ru_latin_words"]))
            self.en_words: tuple[str, ...] = tuple(_decode_vocabulary(data["en_words"]))
        if self.coef.shape != (offset, len(self.classes)):
            raise ValueError(f"triage model {path} is inconsistent: coef {self.coef.shape}, {offset} features")

    def features(self, prepared: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """Column indices and TF-IDF values of ``prepared`` text (the output of ``prepare``)."""
        all_idx: list[npt.NDArray[np.intp]] = []
        all_val: list[npt.NDArray[np.float64]] = []
        for block in self._blocks:
            grams = (
                word_ngrams(prepared, block.ngram_range)
                if block.analyzer == "word"
                else char_wb_ngrams(prepared, block.ngram_range)
            )
            counts: dict[int, int] = {}
            vocabulary = block.vocabulary
            for gram, count in Counter(grams).items():
                index = vocabulary.get(gram)
                if index is not None:
                    counts[index] = count
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if block.sublinear_tf:
                tf = np.log(tf) + 1.0
            values = tf * block.idf[idx]
            norm = float(np.sqrt(np.dot(values, values)))
            if norm > 0.0:
                values = values / norm
            all_idx.append(idx + block.offset)
            all_val.append(values)
        if not all_idx:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
        return np.concatenate(all_idx), np.concatenate(all_val)

    def decision(self, text: str) -> npt.NDArray[np.float64]:
        idx, values = self.features(prepare(text))
        scores: npt.NDArray[np.float64] = values @ self.coef[idx] + self.intercept
        return scores

    def predict(self, text: str) -> Prediction:
        scores = self.decision(text)
        shifted = np.exp(scores - scores.max())
        probabilities = shifted / shifted.sum()
        best = int(np.argmax(probabilities))
        return Prediction(
            category=self.classes[best],
            confidence=float(probabilities[best]),
            probabilities={c: float(p) for c, p in zip(self.classes, probabilities, strict=True)},
        )


@cache
def default_model() -> TriageModel:
    """The shipped model, loaded once per process."""
    if not MODEL_PATH.exists():
        raise FileNotFoundError(f"triage model not found at {MODEL_PATH}: run scripts/train_triage.py")
    return TriageModel(MODEL_PATH)
