"""More like this: a story's most distinctive words as a weighted query (Lucene's MoreLikeThis),
scored by the engine's own BM25F over paragraphs, or over whole articles for related stories;
the story itself is left out. Related stories of a whole article are ranked by the cosine of
the articles' vectors (index/store/article_vectors.py) where the generation has them: precision@10
on the Reuters topics 0.709 with BM25 alone, 0.77 with the vectors (docs/benchmarks.md). Never
imports search.service or search.web.

Whoosh's `Searcher.more_like` was not used: it reads one field, ranks key terms with Bo1 and
runs a pure-Python search of paragraphs, where stories are articles spread over paragraphs and
the engine already scores word postings in numpy (search/engine/tree.py).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.store.article_vectors import TOPIC_TERM
from index.store.schema import TEXT, TITLE
from search.engine.tree import FIELD_B, FIELD_WEIGHTS, K1, NO_MATCH, Any, Context, Match, Word

# Lucene MoreLikeThis's ranking of terms: tf × idf, each boosted by its share of the best one's
# score; 50 terms rather than its 25 (precision@10 on Reuters' topics 0.686 -> 0.694 on a sample
# of 300 stories, docs/benchmarks.md). A term must occur in at least
# MIN_DOC_FREQ paragraphs (a typo or a one-off name finds nothing like the story). Lucene's
# minTermFreq of 2 is not used: a paragraph, or a short wire story, says most of its words once.
# No ceiling on a term's document frequency: idf already weighs common words down, and a
# ceiling such as 10 % of the paragraphs cost precision on Reuters (docs/benchmarks.md) and left
# a small archive without terms.
MAX_QUERY_TERMS = 50
MIN_DOC_FREQ = 2
# An article's length normalises its text fully (b = 1, where a paragraph's text has 0.75):
# wire stories run from two lines to two pages, and the short ones are alike in form (0.694 ->
# 0.699 on the same sample).
ARTICLE_B = 1.0
# Related articles are ranked by the article's score; its paragraphs differ from one another by
# at most this share of the best paragraph's score, so the best-matching paragraph stands for
# the article.
PARAGRAPH_SHARE = 1e-3


@dataclass(frozen=True)
class Story:
    """What a similar-story query starts from: the source's paragraphs (document numbers, of
    one article or one paragraph), the article numbers to leave out of the answer, and the
    article number when the source is a whole article."""

    docnums: tuple[int, ...]
    articles: tuple[int, ...]
    article: int | None = None


def article_story(columns, docnums: list[int]) -> Story | None:
    """The story of an article's live paragraphs (None when it has none); the article and its
    copies (its copy group: index/store/copies.py) are left out of the answer."""
    if not docnums:
        return None
    own = {int(columns.article[d]) for d in docnums}
    copies = {int(a) for article in own for a in columns.copy_articles(article)}
    return Story(tuple(docnums), tuple(sorted(own | copies)), int(columns.article[docnums[0]]))


def paragraph_story(columns, docnum: int) -> Story:
    """The story of one live paragraph; its whole article, and every article that prints the
    same paragraph, are left out of the answer."""
    left_out = {int(columns.article[docnum]), *(int(a) for a in columns.article[columns.copies_of(docnum)])}
    return Story((int(docnum),), tuple(sorted(left_out)))


def more_like_this(searcher, analyzer, story: Story, doc_count: int,
                   by_article: bool, paragraphs) -> "MoreLikeThis":
    """The query tree of stories like `story`; `paragraphs` (search.engine.paragraphs) reads
    its records."""
    terms = key_terms(searcher, analyzer, story, doc_count, paragraphs)
    return MoreLikeThis(tuple(terms.items()), story.articles, by_article, story.article)


def key_terms(searcher, analyzer, story: Story, doc_count: int, paragraphs) -> dict[str, float]:
    """The story's most distinctive indexed terms, each with its weight (the best is 1.0):
    tf in its title and text × idf over the paragraphs, as Lucene's MoreLikeThis ranks them."""
    stored = paragraphs.records(searcher.reader(), story.docnums)
    counts: Counter = Counter()
    if stored:
        counts.update(t.text for t in analyzer(stored[0].get(TITLE) or ""))
    for fields in stored:
        counts.update(t.text for t in analyzer(fields.get(TEXT) or ""))
    reader = searcher.reader()
    scored = []
    for term, tf in counts.items():
        if not TOPIC_TERM.fullmatch(term):
            continue
        df = reader.doc_frequency(TEXT, term)
        if df >= MIN_DOC_FREQ:
            scored.append((tf * (1.0 + math.log(doc_count / (df + 1.0))), term))
    scored.sort(reverse=True)
    best = scored[0][0] if scored else 1.0
    return {term: score / best for score, term in scored[:MAX_QUERY_TERMS]}


@dataclass(frozen=True)
class MoreLikeThis:
    """A query-tree node: paragraphs that hold any of the story's key terms, scored by BM25F
    with each term's weight as its query-term frequency, without the story's own articles.
    With `by_article`, a paragraph scores as its whole article does: the cosine of its vector
    with the source article's (`article`, when both have one), else `article_scores`."""

    terms: tuple[tuple[str, float], ...]
    articles: tuple[int, ...]
    by_article: bool = False
    article: int | None = None

    def evaluate(self, ctx: Context) -> Match:
        words = Any(tuple(Word(((TEXT, t), (TITLE, t)), w) for t, w in self.terms))
        matched = words.evaluate(ctx)
        if not len(matched.ids):
            return NO_MATCH
        owners = ctx.columns.article[matched.ids]
        keep = ~np.isin(owners, np.asarray(self.articles, dtype=owners.dtype))
        matched, owners = Match(matched.ids[keep], matched.scores[keep]), owners[keep]
        if not self.by_article or not len(matched.ids) or ctx.out_of_time():
            return matched
        by_vector = self._cosines(ctx.columns.article_vectors, owners)
        articles = by_vector if by_vector is not None else article_scores(ctx, self.terms)[owners]
        best = float(matched.scores.max())
        scores = articles + PARAGRAPH_SHARE * matched.scores / (best if best > 0 else 1.0)
        return Match(matched.ids, scores.astype(np.float32))

    def _cosines(self, vectors: np.ndarray | None, owners: np.ndarray) -> np.ndarray | None:
        """1 + the cosine of each owner article's vector with the source article's (positive,
        as scores are); None without vectors or when the source article has none (no topic
        words): BM25 ranks then."""
        if vectors is None or self.article is None:
            return None
        source = np.asarray(vectors[self.article])
        if not source.any():
            return None
        return 1.0 + (vectors @ source)[owners]  # every article at once: one BLAS call

    def highlight_terms(self) -> set[str]:
        return {t for t, _ in self.terms}


def article_scores(ctx: Context, terms: tuple[tuple[str, float], ...]) -> np.ndarray:
    """BM25F of the terms over whole articles, indexed by article number: a word's text
    frequency summed over the article's paragraphs and normalised by the article's length, its
    title frequency counted once (every paragraph carries the title)."""
    cols = ctx.columns
    text_norm = ctx.remembered(("article_text_norm",), lambda: _article_text_norm(cols))
    n = len(text_norm)
    articles = int(np.isfinite(text_norm).sum())
    article, title_lengths = cols.article, cols.lengths[TITLE]
    total = np.zeros(n, dtype=np.float64)
    for term, weight in terms:
        if ctx.out_of_time():
            break
        tfn = np.zeros(n, dtype=np.float64)
        text = ctx.postings(TEXT, term)
        if len(text.ids):
            tfn += np.bincount(article[text.ids], weights=text.tf, minlength=n) / text_norm
        title = ctx.postings(TITLE, term)
        if len(title.ids):
            # Paragraphs of one article carry one title: any one of them gives its frequency.
            title_norm = (1.0 - FIELD_B[TITLE]) + FIELD_B[TITLE] * (
                title_lengths[title.ids] / cols.average_lengths[TITLE])
            tfn[article[title.ids]] += FIELD_WEIGHTS[TITLE] * title.tf / title_norm
        df = int(np.count_nonzero(tfn))
        if df:
            idf = math.log(1.0 + (articles - df + 0.5) / (df + 0.5))
            total += weight * idf * tfn * (K1 + 1.0) / (K1 + tfn)
    return total


def _article_text_norm(cols) -> np.ndarray:
    """Each article's BM25 length norm (ARTICLE_B) of its text, the sum of its live
    paragraphs' lengths; infinite for an article number with no live paragraph (it scores 0)."""
    lengths = np.bincount(cols.article, weights=np.where(cols.alive, cols.lengths[TEXT], 0.0))
    live = lengths > 0
    average = float(lengths[live].mean()) if live.any() else 1.0
    return np.where(live, (1.0 - ARTICLE_B) + ARTICLE_B * lengths / average, np.inf)
