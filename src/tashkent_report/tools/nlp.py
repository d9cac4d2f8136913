"""French annotations of the article with spaCy: sentences, tokens, lemmas, parts of speech.

Loading the model takes seconds, so the annotations are stored in
``data/derived/annotations.csv`` by ``python -m tashkent_report.nlp`` (``make annotations``);
notebooks read that table, and a test checks that it matches a fresh run.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pandas as pd

from tashkent_report.config import DATA, relative

MODEL = "fr_core_news_sm"
ANNOTATIONS = DATA / "derived" / "annotations.csv"
COLUMNS = ["token", "sentence", "quote", "start", "end", "lemma", "pos", "is_stop", "is_punct", "statement"]


def load_model():
    import spacy

    return spacy.load(MODEL)


def annotate(text: str, statements: pd.DataFrame, nlp=None) -> pd.DataFrame:
    """One row per token (whitespace excluded), with the statement it falls in, if any."""
    nlp = nlp or load_model()
    doc = nlp(text)
    spans = list(zip(statements["start"], statements["end"], statements["id"], strict=True))
    rows = []
    for number, sentence in enumerate(doc.sents, start=1):
        for tok in sentence:
            if tok.is_space:
                continue
            start, end = tok.idx, tok.idx + len(tok.text)
            inside = [sid for s, e, sid in spans if s <= start and end <= e]
            rows.append(
                {
                    "token": len(rows) + 1,
                    "sentence": number,
                    "start": start,
                    "end": end,
                    "quote": tok.text,
                    "lemma": tok.lemma_,
                    "pos": tok.pos_,
                    "is_stop": bool(tok.is_stop),
                    "is_punct": bool(tok.is_punct),
                    "statement": inside[0] if inside else "",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def to_csv(frame: pd.DataFrame) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in frame[COLUMNS].itertuples(index=False):
        writer.writerow(["true" if v is True else "false" if v is False else v for v in row])
    return out.getvalue()


def main(path: Path = ANNOTATIONS) -> int:
    from tashkent_report.analysis.dataset import load_facts

    facts = load_facts(exclude=("annotations",))
    table = annotate(facts.text, facts.statements)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_csv(table), encoding="utf-8")
    print(f"{relative(path)}: {len(table)} tokens, {table['sentence'].max()} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
