"""The article vectors (index/store/article_vectors.py): the randomized SVD against numpy's exact
one, and a real build of an archive with enough common words: one unit vector per article,
stories of one subject closer to each other than to the others, related stories ranked by the
vectors' cosine (checked against numpy over the written file), and a later build with too few
words for vectors not serving the earlier build's file."""
from __future__ import annotations

import random
import string

import numpy as np
import pytest
import scipy.sparse as sparse
import webtest

from archive_files import write_archive
from built_apps import built_settings
from index.build import reindex
from index.store.article_vectors import VECTORS_FILE, latent_vectors, read_article_vectors
from index.store.generations import serving_generation
from search import SearchService
from search.web.app import create_app

SUBJECTS = 3
WORDS_PER_SUBJECT = 80   # 240 words in all: more than MIN_TERMS
ARTICLES_PER_SUBJECT = 70
PARAGRAPHS = 3
WORDS_PER_PARAGRAPH = 60  # each word in about 157 of a subject's 210 paragraphs: past the store's 128


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_vectors_of_a_matrix_of_lower_rank_keep_every_cosine_of_its_rows():
    rng = np.random.default_rng(3)
    low_rank = rng.random((60, 12)) @ rng.random((12, 400))  # rank 12 < 100 dimensions
    vectors = latent_vectors(sparse.csr_matrix(low_rank), 100)
    rows = unit_rows(low_rank)
    np.testing.assert_allclose(vectors @ vectors.T, rows @ rows.T, atol=1e-9)


def test_vectors_match_numpys_exact_truncated_svd():
    rng = np.random.default_rng(5)
    left, _ = np.linalg.qr(rng.standard_normal((300, 300)))
    right, _ = np.linalg.qr(rng.standard_normal((500, 300)))
    spectrum = np.concatenate([np.linspace(50, 10, 20), np.full(280, 0.01)])  # a gap after 20
    matrix = (left * spectrum) @ right.T
    u, s, _ = np.linalg.svd(matrix, full_matrices=False)
    exact = unit_rows(u[:, :20] * s[:20])
    vectors = latent_vectors(sparse.csr_matrix(matrix), 20)
    np.testing.assert_allclose(vectors @ vectors.T, exact @ exact.T, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0)


def made_up_words(count: int, rng: random.Random) -> list[str]:
    """Distinct lower-case words no dictionary has (so the stemmer leaves them apart)."""
    found: set[str] = set()
    while len(found) < count:
        found.add("q" + "".join(rng.choice(string.ascii_lowercase) for _ in range(7)))
    return sorted(found)


def subject_articles() -> list[dict]:
    rng = random.Random(11)
    words = made_up_words(SUBJECTS * WORDS_PER_SUBJECT, rng)
    articles = []
    for subject in range(SUBJECTS):
        own = words[subject * WORDS_PER_SUBJECT:(subject + 1) * WORDS_PER_SUBJECT]
        for n in range(ARTICLES_PER_SUBJECT):
            articles.append({"id": f"s{subject}-{n}", "title": f"Report {n}", "date": "1987-03-02",
                             "paragraphs": [" ".join(rng.sample(own, WORDS_PER_PARAGRAPH)) + "."
                                            for _ in range(PARAGRAPHS)]})
    return articles


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    settings = built_settings(tmp_path_factory.mktemp("vectors"), subject_articles())
    service = SearchService(settings.index_dir, settings)
    bottle_app = create_app(settings, service)
    yield settings, service, webtest.TestApp(bottle_app)
    service.close()


def article_numbers(service: SearchService) -> dict[str, int]:
    """Article id -> article number, from the engine's own columns."""
    with service.using() as served:
        gen = served.gen
        first = {}
        for docnum, number in enumerate(np.asarray(gen.columns.article)):
            first.setdefault(int(number), docnum)
        stored = gen.stored_fields(list(first.values()))
    return {fields["article_id"]: number for number, fields in zip(first, stored)}


def test_a_build_writes_one_unit_vector_per_article_closer_within_a_subject(built):
    settings, _, _ = built
    vectors = read_article_vectors(serving_generation(settings.index_dir),
                                   SUBJECTS * ARTICLES_PER_SUBJECT)
    assert vectors is not None and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_related_stories_rank_by_the_vectors_cosine(built):
    settings, service, app = built
    numbers = article_numbers(service)
    vectors = read_article_vectors(serving_generation(settings.index_dir), len(numbers))
    body = app.get("/api/articles/s1-0/similar?page_size=10").json
    ids = [hit["article_id"] for hit in body["hits"]]
    assert len(ids) == 10 and all(i.startswith("s1-") for i in ids) and "s1-0" not in ids, ids
    cosines = vectors @ vectors[numbers["s1-0"]]
    by_number = {n: i for i, n in numbers.items()}
    others = [by_number[int(n)] for n in np.argsort(-cosines) if by_number[int(n)] != "s1-0"]
    # The engine's order is numpy's, but for cosines within its paragraph tie-break (1e-3).
    expected = [cosines[numbers[i]] for i in ids]
    assert all(a >= b - 2e-3 for a, b in zip(expected, expected[1:])), expected
    assert min(expected) >= cosines[numbers[others[10]]] - 2e-3
    within = np.mean([cosines[n] for i, n in numbers.items() if i.startswith("s1-") and i != "s1-0"])
    across = np.mean([cosines[n] for i, n in numbers.items() if not i.startswith("s1-")])
    assert within > across + 0.5, (within, across)


def test_a_build_with_too_few_common_words_serves_no_earlier_vectors(tmp_path):
    settings = built_settings(tmp_path, subject_articles())
    assert (serving_generation(settings.index_dir) / VECTORS_FILE).is_file()
    archive = settings.sources[0]
    for old in archive.iterdir():
        old.unlink()
    write_archive(archive, [{"id": "lone", "title": "Lone", "date": "1987-03-03",
                             "paragraphs": ["One short story with too few words for vectors."]}])
    reindex(settings)  # incremental: starts from a copy of the generation with vectors
    serving = serving_generation(settings.index_dir)
    assert not (serving / VECTORS_FILE).exists()
    assert read_article_vectors(serving, 1) is None
