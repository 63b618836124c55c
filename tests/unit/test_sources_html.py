"""The `.html` reader: a saved page's article text (not its menus, banners, comments or related
links), title, date, author, canonical URL and language; bad pages are Skips."""
from __future__ import annotations

import datetime as dt

from index.model import Article
from index.sources import read_source
from index.sources.pages import html_paragraphs

ARTICLE = [
    "The restoration of the old mosque in Aghdam began on Tuesday, officials in Baku said, "
    "after months of survey work by engineers from three countries.",
    "Workers cleared the courtyard of rubble first, then propped up the two minarets that had "
    "stood unsupported for nearly thirty years while the town around them was abandoned.",
    "The ministry of culture said the first stage would take a year and cost about twelve "
    "million manat, paid from the state budget set aside for reconstruction.",
    "Residents who left the town in 1993 were invited to the opening ceremony, and several "
    "hundred came by bus from Baku and Ganja to see the work begin.",
]


def page(paragraphs=ARTICLE, *, lang="en", head="", charset="utf-8") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}">
<title>Restoration begins in Aghdam | Example News</title>
<meta property="og:title" content="Restoration begins in Aghdam">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2021-04-08T09:30:00+04:00">
<link rel="canonical" href="https://news.example.org/2021/04/08/aghdam-restoration">
{head}</head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<article><h1>Restoration begins in Aghdam</h1>
{body}
</article>
<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/a">Oil prices rise again in London trading</a></li>
<li><a href="/b">Ten things to do in Baku this weekend</a></li></ul></aside>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p>Great news, I hope they finish it soon and keep the old stones!</p></div>
</section>
<footer><p>Copyright 2021 Example News. All rights reserved.</p></footer>
</body></html>"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_page_gives_its_article_text_in_paragraphs_without_boilerplate(tmp_path):
    articles, skips = read_source(write(tmp_path, "aghdam.html", page()))
    assert skips == []
    [article] = articles
    assert [p for p in article.paragraphs if p in ARTICLE] == ARTICLE
    text = " ".join(article.paragraphs)
    for boilerplate in ("Sport", "cookies", "Related stories", "Ten things to do", "Great news",
                        "All rights reserved"):
        assert boilerplate not in text


def test_page_metadata_title_date_author_canonical_url_language(tmp_path):
    path = write(tmp_path, "aghdam.html", page())
    [article] = read_source(path)[0]
    assert (article.id, article.title, article.date, article.author, article.url,
            article.language, article.source_path) == (
        "aghdam", "Restoration begins in Aghdam", dt.date(2021, 4, 8), "Jane Doe",
        "https://news.example.org/2021/04/08/aghdam-restoration", "en", str(path))


def test_headline_is_the_title_not_a_paragraph(tmp_path):
    [article] = read_source(write(tmp_path, "aghdam.html", page()))[0]
    assert article.paragraphs == tuple(ARTICLE)


def test_id_is_the_file_name_without_its_extensions(tmp_path):
    assert read_source(write(tmp_path, "2021.story-1.htm", page()))[0][0].id == "2021.story-1"


def test_page_declared_in_a_legacy_charset_is_decoded_by_its_declaration(tmp_path):
    accented = [p.replace("Ganja", "Gəncə").replace("Baku", "Bakı") for p in ARTICLE]
    latin = [p.replace("Ganja", "Gênova") for p in ARTICLE]
    path = write(tmp_path, "latin.html", page(latin, charset="iso-8859-1"), encoding="latin-1")
    assert any("Gênova" in p for p in read_source(path)[0][0].paragraphs)
    path = write(tmp_path, "utf8.html", page(accented))
    assert any("Gəncə" in p for p in read_source(path)[0][0].paragraphs)


def test_utf16_page_with_a_byte_order_mark_is_decoded(tmp_path):
    path = write(tmp_path, "wide.html", "\ufeff" + page(charset="utf-16"), encoding="utf-16-le")
    assert read_source(path)[0][0].paragraphs == tuple(ARTICLE)


def test_non_english_page_is_indexed_with_its_text_and_language(tmp_path):
    portuguese = [
        "A restauração da antiga mesquita de Aghdam começou na terça-feira, disseram as "
        "autoridades em Baku, depois de meses de estudos feitos por engenheiros de três países.",
        "Os trabalhadores limparam primeiro o pátio, e depois escoraram os dois minaretes que "
        "ficaram sem apoio durante quase trinta anos enquanto a cidade estava abandonada.",
        "O ministério da cultura disse que a primeira fase levará um ano e custará cerca de doze "
        "milhões de manats, pagos pelo orçamento do Estado para a reconstrução.",
    ]
    [article] = read_source(write(tmp_path, "pt.html", page(portuguese, lang="pt-BR")))[0]
    assert article.language == "pt-BR"
    assert [p for p in article.paragraphs if p in portuguese] == portuguese


def test_page_without_article_text_is_skipped_as_no_body(tmp_path):
    shells = ["<html><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></body></html>",
              "<html><head><script>render()</script></head><body><div id='app'></div>"
              "<noscript>Please enable JavaScript to view this site.</noscript></body></html>"]
    for n, shell in enumerate(shells):
        path = write(tmp_path, f"shell{n}.html", shell)
        articles, skips = read_source(path)
        assert articles == []
        assert [(s.path, s.reason) for s in skips] == [(str(path), "no body")]
        assert "no article text" in skips[0].detail


def test_page_in_an_unknown_encoding_is_skipped_as_undecodable(tmp_path):
    text = page(charset="x-klingon").replace("Aghdam", "Agh\udcffdam")
    path = tmp_path / "klingon.html"
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    articles, skips = read_source(path)
    assert articles == []
    assert [s.reason for s in skips] == ["undecodable"]
    assert "'x-klingon'" in skips[0].detail


def test_empty_page_file_is_skipped_as_empty(tmp_path):
    path = write(tmp_path, "blank.html", "  \n")
    articles, skips = read_source(path)
    assert (articles, [(s.path, s.reason) for s in skips]) == ([], [(str(path), "empty")])


def test_html_fragment_splits_at_blocks_and_line_breaks_and_drops_scripts():
    fragment = ("<p>First <b>bold</b> paragraph.</p><div>Second<br>third</div>"
                "<script>var x = 1;</script><ul><li>One</li><li>Two &amp; more</li></ul>tail")
    assert html_paragraphs(fragment) == ("First bold paragraph.", "Second", "third", "One",
                                         "Two & more", "tail")


def test_html_fragment_table_rows_are_paragraphs_of_their_cells():
    fragment = "<table><tr><th>City</th><th>Votes</th></tr><tr><td>Baku</td><td>120</td></tr></table>"
    assert html_paragraphs(fragment) == ("City Votes", "Baku 120")


def test_plain_text_fragment_splits_at_blank_lines_and_decodes_entities():
    assert html_paragraphs("One &amp; two.\n\nThree.") == ("One & two.", "Three.")


def test_article_read_from_a_page_is_an_article_record(tmp_path):
    assert isinstance(read_source(write(tmp_path, "a.html", page()))[0][0], Article)


def test_published_time_with_a_zone_dates_the_page_by_its_utc_day(tmp_path):
    late_evening = page().replace("2021-04-08T09:30:00+04:00", "2021-04-09T23:30:00-05:00")
    [article] = read_source(write(tmp_path, "aghdam.html", late_evening))[0]
    assert article.date == dt.date(2021, 4, 10)
