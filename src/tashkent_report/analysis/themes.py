"""The codebook applied to the lemmas of the message: coding, key words in context, word use.

A cue is a French lemma or a lowercase word form (the second catches the small model's
lemma errors); a cue of several words matches consecutive words, stop words and punctuation
skipped, so "renforcement capacité" matches "renforcement des capacités".
"""

from __future__ import annotations

import html

import pandas as pd

from tashkent_report.analysis.model import paragraph_of

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


def kwic(coded: pd.DataFrame, text: str, width: int = 45) -> pd.DataFrame:
    """Key words in context: each match with up to ``width`` characters of its paragraph either side.

    An ellipsis marks context that was cut; context that reaches the paragraph's edge has none.
    """
    rows = []
    for match in coded.itertuples(index=False):
        para_start = text.rfind("\n", 0, match.start) + 1
        para_end = text.find("\n", match.end)
        para_end = len(text) if para_end < 0 else para_end
        left_from = max(para_start, match.start - width)
        right_to = min(para_end, match.end + width)
        rows.append(
            {
                "theme": match.theme,
                "statement": match.statement,
                "left": ("…" if left_from > para_start else "") + text[left_from:match.start],
                "key": match.words,
                "right": text[match.end:right_to] + ("…" if right_to < para_end else ""),
            }
        )
    return pd.DataFrame(rows, columns=["theme", "statement", "left", "key", "right"])


def attribution_summary(
    coded: pd.DataFrame, statements: pd.DataFrame, codebook: pd.DataFrame
) -> pd.DataFrame:
    """Per theme: in how many statements, how many explicit, and what rests on the unattributed one."""
    explicit = set(statements.loc[statements["attribution"] == "explicit", "id"])
    rows = []
    for theme in codebook.itertuples(index=False):
        found = list(dict.fromkeys(coded.loc[coded["theme"] == theme.theme, "statement"]))
        sure = [s for s in found if s in explicit]
        if not found:
            standing = "absent"
        elif not sure:
            standing = "rests only on the unattributed statement"
        elif len(sure) < len(found):
            standing = "holds without the unattributed statement"
        else:
            standing = "explicit only"
        rows.append(
            {
                "theme": theme.theme,
                "label": theme.label_en,
                "statements (all)": len(found),
                "statements (explicit only)": len(sure),
                "standing": standing,
            }
        )
    return pd.DataFrame(rows)


def word_use(annotations: pd.DataFrame) -> pd.DataFrame:
    """Content lemmas (nouns, verbs, adjectives, proper nouns): counts in the message and the rest.

    Descriptive counts only: with a few hundred words, no test of significance is meaningful.
    """
    content = annotations[annotations["pos"].isin(CONTENT_POS) & ~annotations["is_punct"].astype(bool)]
    # Elided articles ("l’") mistagged as nouns are not content words.
    content = content[~content["quote"].str.endswith(("’", "'"))].copy()
    # Acronyms keep their written form: the small model lemmatises "OCS" to "oc".
    acronym = content["quote"].str.isupper() & (content["quote"].str.len() > 1)
    content["lemma"] = content["lemma"].str.lower().where(~acronym, content["quote"])
    content["where"] = content["statement"].fillna("").map(lambda s: "message" if s else "rest of article")
    counts = content.pivot_table(
        index="lemma", columns="where", values="token", aggfunc="count", fill_value=0
    )
    for column in ("message", "rest of article"):
        if column not in counts:
            counts[column] = 0
    counts = counts[["message", "rest of article"]].astype(int)
    counts.columns.name = None
    counts = counts.rename_axis("lemma").reset_index()
    counts = counts.sort_values(["message", "rest of article", "lemma"], ascending=[False, False, True])
    return counts.set_index("lemma")


def _escape(value: str) -> str:
    """Data shown through Markdown is text, never markup."""
    return html.escape(str(value), quote=False)


def quote_block(statements: pd.DataFrame, statement_id: str, text: str) -> str:
    """A statement as a Markdown quote: French verbatim, English beside it, attribution stated."""
    row = statements.set_index("id").loc[statement_id]
    how = (
        f"attributed to the president by the text (« {_escape(row['attribution_quote'])} »)"
        if row["attribution"] == "explicit"
        else "not attributed by the article"
    )
    return (
        f"> « {_escape(row['quote'])} »\n>\n"
        f"> *{_escape(row['text_en'])}*\n\n"
        f"Statement {row['order']}, paragraph {paragraph_of(text, int(row['start']))}; {how}."
    )


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


def word_use_alt(counts: pd.DataFrame, top: int = 15) -> str:
    items = [f"{lemma} {m} and {r}" for lemma, m, r in
             zip(counts.index[:top], counts["message"][:top], counts["rest of article"][:top], strict=True)]
    return (
        f"Paired horizontal bars for the {top} content lemmas most used in the message, "
        "occurrences in the message and in the rest of the article: " + "; ".join(items) + "."
    )


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
