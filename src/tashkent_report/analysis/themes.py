"""The codebook applied to the lemmas of the message: coding, key words in context, word use.

A cue is a French lemma or a lowercase word form (the second catches the small model's
lemma errors); a cue of several words matches consecutive words, stop words and punctuation
skipped, so "renforcement capacité" matches "renforcement des capacités".
"""

from __future__ import annotations

import pandas as pd

CONTENT_POS = ("NOUN", "VERB", "ADJ", "PROPN")


def parse_cues(cues: str) -> list[tuple[str, ...]]:
    """'a; b c' -> [('a',), ('b', 'c')]"""
    return [tuple(cue.lower().split()) for cue in cues.split(";") if cue.strip()]


def _words(tokens: pd.DataFrame) -> pd.DataFrame:
    """The tokens a cue can match: neither stop words nor punctuation."""
    return tokens[~tokens["is_stop"].astype(bool) & ~tokens["is_punct"].astype(bool)].reset_index(drop=True)


def match_cues(tokens: pd.DataFrame, cues: list[tuple[str, ...]]) -> list[dict]:
    """Every place where a cue matches, with its offsets; tokens are one statement's."""
    words = _words(tokens)
    pairs = zip(words["lemma"], words["quote"], strict=True)
    forms = [{lemma.lower(), form.lower()} for lemma, form in pairs]
    found = []
    for cue in cues:
        for i in range(len(words) - len(cue) + 1):
            if all(cue[k] in forms[i + k] for k in range(len(cue))):
                found.append(
                    {
                        "cue": " ".join(cue),
                        "start": int(words["start"].iloc[i]),
                        "end": int(words["end"].iloc[i + len(cue) - 1]),
                    }
                )
    return found


def code_statements(annotations: pd.DataFrame, statements: pd.DataFrame, codebook: pd.DataFrame,
                    text: str) -> pd.DataFrame:
    """One row per (statement, theme, match), with the matched words as written."""
    rows = []
    for statement in statements.itertuples(index=False):
        tokens = annotations[annotations["statement"].eq(statement.id).fillna(False).astype(bool)]
        for theme in codebook.itertuples(index=False):
            for match in match_cues(tokens, parse_cues(theme.cues)):
                rows.append(
                    {
                        "statement": statement.id,
                        "attribution": statement.attribution,
                        "theme": theme.theme,
                        "cue": match["cue"],
                        "words": text[match["start"]:match["end"]],
                        "start": match["start"],
                        "end": match["end"],
                    }
                )
    coded = pd.DataFrame(rows, columns=["statement", "attribution", "theme", "cue", "words", "start", "end"])
    return coded.sort_values(["statement", "theme", "start"], kind="stable").reset_index(drop=True)


def coding_matrix(coded: pd.DataFrame, statements: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Statements (rows) by themes (columns); each cell lists the words that matched, or is empty."""
    cells = coded.groupby(["statement", "theme"])["words"].agg(lambda w: ", ".join(dict.fromkeys(w)))
    matrix = pd.DataFrame("", index=list(statements["id"]), columns=list(codebook["theme"]))
    for (statement, theme), words in cells.items():
        matrix.loc[statement, theme] = words
    matrix.index.name = "statement"
    return matrix


def matrix_alt(matrix: pd.DataFrame, statements: pd.DataFrame, codebook: pd.DataFrame) -> str:
    """Alt text for the theme matrix, from the same table."""
    labels = dict(zip(codebook["theme"], codebook["label_en"], strict=True))
    rows = statements.set_index("id")
    parts = []
    for statement in matrix.index:
        found = [
            f"{labels[t]} ({matrix.loc[statement, t]})" for t in matrix.columns if matrix.loc[statement, t]
        ]
        parts.append(
            f"Statement {rows.loc[statement, 'order']} ({rows.loc[statement, 'attribution']}): "
            + ("; ".join(found) or "no theme")
        )
    return "Grid of statements against themes. " + ". ".join(parts) + "."


def lemma_errors(annotations: pd.DataFrame, noticed: list[str]) -> pd.DataFrame:
    """Each noticed lemmatiser error once: the written form, the model's lemma and tag, how often."""
    rows = annotations[annotations["quote"].isin(noticed)]
    grouped = rows.groupby(["quote", "lemma", "pos"], sort=False)
    out = grouped.agg(
        occurrences=("token", "size"),
        in_message=("statement", lambda s: int(s.notna().sum())),
    ).reset_index()
    return out.rename(columns={"quote": "written", "lemma": "model's lemma", "pos": "model's tag"}).set_index(
        "written"
    )
