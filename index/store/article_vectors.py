"""Article vectors: each article's place in a latent semantic space of the archive's commoner
words (latent semantic analysis: Deerwester et al. 1990), written by the build for related
stories and read memory-mapped by the read side (search/engine/similar.py).

Why: two stories about one subject share its vocabulary more than its exact words (a crop
report says "wheat", "bushels", "harvest"; the next one "grain", "tonnes", "crop"), and a
truncated SVD of the article-word matrix puts words that occur together on the same axes. On
the Reuters files, ranking related stories by these vectors' cosine found 10 that share an
editors' topic with the story 77 % of the time, where a TF-IDF cosine over the whole article
found 71 % and the 50 most distinctive words scored by BM25 (Lucene's MoreLikeThis) 71 %
(`python3 bench/related.py --index-dir IDX`; docs/benchmarks.md, "Related stories").

The words are the posting store's (index/store/postings.py: title and text words found in at
least STORE_MIN_DF paragraphs, 1,391 on the Reuters files; every word gave 0.779 instead of
0.774 and would need a pass over every posting of the index), weighted by sublinear TF-IDF over
articles, a title word counted once. The SVD is Halko, Martinsson and Tropp's randomized one
(2011), seeded, so a build is reproducible. An archive with fewer than MIN_TERMS such words has
no vectors (related stories then rank by BM25 alone). Never imports `search/`.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from index.store.columns import read_columns
from index.store.files import write_atomically
from index.store.postings import PostingStore
from index.store.schema import TEXT, TITLE

log = logging.getLogger(__name__)

VECTORS_FILE = "article-vectors.npy"
# Axes of the space; 100 gave 0.779 on Reuters, 200 and 300 0.784.
DIMENSIONS = 100
# The randomized SVD's extra axes and power iterations (the accuracy of its leading axes; on
# Reuters 0, 1, 2 and 4 iterations gave 0.669, 0.777, 0.775 and 0.773, and each costs a QR of
# an articles × 110 matrix: 2 s at 10x).
OVERSAMPLE = 10
POWER_ITERATIONS = 2
MIN_TERMS = 2 * DIMENSIONS
# Rows of a tall matrix summed at a time into its Gram matrix, and the ratio of the Cholesky
# factor's smallest diagonal to its largest below which columns count as dependent.
GRAM_ROWS = 16_384
DEPENDENT = 1e-6
SEED = 0
# A word that is only digits or punctuation says little about a topic (also MoreLikeThis's rule).
TOPIC_TERM = re.compile(r"[a-z][a-z0-9]{1,30}")


def write_article_vectors(gen_dir: Path) -> None:
    """Compute the article vectors of the generation in `gen_dir` from its column files and
    posting store (both written first) and write them; remove a copied file of an earlier
    generation when there are too few words for vectors."""
    gen_dir = Path(gen_dir)
    target = gen_dir / VECTORS_FILE
    matrix = _article_word_matrix(gen_dir)
    if matrix is None:
        target.unlink(missing_ok=True)
        return
    vectors = latent_vectors(matrix, DIMENSIONS).astype(np.float32)
    write_atomically(target, lambda f: np.save(f, vectors))


def read_article_vectors(gen_dir: Path, article_count: int) -> np.ndarray | None:
    """The generation's unit-length article vectors (float32, one row per article number: 64
    MB at 10x, which a query multiplies whole, faster than gathering the candidates' rows),
    memory-mapped; None when it has none, or none for this many articles."""
    try:
        vectors = np.load(Path(gen_dir) / VECTORS_FILE, mmap_mode="r")
    except FileNotFoundError:
        return None
    if vectors.ndim != 2 or vectors.shape[0] != article_count:
        log.warning("%s: article vectors for %d articles, the columns have %d; not used",
                    gen_dir, vectors.shape[0], article_count)
        return None
    return vectors


def latent_vectors(matrix, dimensions: int) -> np.ndarray:
    """Each row of `matrix` (a scipy sparse matrix, or an array) in the space of its
    `dimensions` leading singular vectors (U·S of a randomized truncated SVD), scaled to unit
    length (zero rows stay zero)."""
    k = min(dimensions, *matrix.shape)
    rng = np.random.default_rng(SEED)
    sample = matrix @ rng.standard_normal((matrix.shape[1], k + OVERSAMPLE), dtype=np.float32)
    for _ in range(POWER_ITERATIONS):  # sharpen the range towards the leading axes
        sample = matrix @ (matrix.T @ _orthonormal(sample))
    basis = _orthonormal(sample)
    small = np.asarray((matrix.T @ basis).T)  # basis^T · matrix, (k + OVERSAMPLE) × words
    left, singular, _ = np.linalg.svd(small, full_matrices=False)
    vectors = (basis @ left[:, :k]) * singular[:k]
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)


def _orthonormal(columns: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the span of `columns` (tall: articles × 110), in their dtype, by
    CholeskyQR2 (twice Q = Y·R⁻¹, R the Cholesky factor of YᵀY summed in float64 a block of
    rows at a time): numpy's qr works on float64 copies, 540 MB more at 10x. Columns that are
    (nearly) dependent, as in a tiny archive, go to numpy's qr."""
    basis = columns
    for _ in range(2):
        gram = np.zeros((basis.shape[1], basis.shape[1]))
        for start in range(0, basis.shape[0], GRAM_ROWS):
            block = np.asarray(basis[start:start + GRAM_ROWS], dtype=np.float64)
            gram += block.T @ block
        try:
            upper = np.linalg.cholesky(gram).T
        except np.linalg.LinAlgError:
            return np.linalg.qr(columns)[0]
        diagonal = np.abs(np.diag(upper))
        if diagonal.min() <= DEPENDENT * diagonal.max():
            return np.linalg.qr(columns)[0]
        basis = basis @ np.linalg.inv(upper).astype(basis.dtype)
    return basis


def _article_word_matrix(gen_dir: Path):
    """Articles × topic words of the posting store (a scipy CSR matrix), sublinear TF-IDF, rows
    of unit length; None without enough words (or without the store or the columns)."""
    import scipy.sparse as sparse  # here, so that serving processes never load it (21 MB)
    columns, store = read_columns(gen_dir), PostingStore.opened(gen_dir)
    if columns is None:
        return None
    arrays, _ = columns
    alive, article = arrays["alive"], arrays["article"]
    words = sorted({w for name in (TEXT, TITLE) for w in store.words(name) if TOPIC_TERM.fullmatch(w)})
    if len(words) < MIN_TERMS or not alive.any():
        return None
    rows, cols, counts = [], [], []
    for column, word in enumerate(words):
        for name in (TEXT, TITLE):
            postings = store.get(name, word)
            if postings is None:
                continue
            live = alive[postings.ids]
            owners, at = np.unique(article[postings.ids[live]], return_inverse=True)
            tf = postings.tf[live]
            # Every paragraph carries its article's title: a title word counts once.
            rows.append(owners)
            cols.append(np.full(len(owners), column, dtype=np.int32))
            counts.append(np.bincount(at, weights=tf).astype(np.float32) if name == TEXT
                          else tf[np.unique(at, return_index=True)[1]])
    shape = (int(article.max()) + 1, len(words))
    matrix = sparse.csr_matrix((np.concatenate(counts), (np.concatenate(rows), np.concatenate(cols))),
                               shape=shape)  # a word's text and title counts are summed
    matrix.data = 1.0 + np.log(matrix.data)
    df = np.bincount(matrix.indices, minlength=len(words))
    idf = (np.log((shape[0] + 1.0) / (df + 1.0)) + 1.0).astype(np.float32)
    weighted = (matrix @ sparse.diags(idf)).tocsr()
    lengths = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    inverse = np.divide(1.0, lengths, out=np.zeros_like(lengths), where=lengths > 0)
    return (sparse.diags(inverse.astype(np.float32)) @ weighted).tocsr()
