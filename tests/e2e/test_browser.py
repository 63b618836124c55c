"""The search page in a real headless Chromium, with and without JavaScript, against a real
server on a random loopback port over a real index: searching, refining, paging, the article
view and back, errors, a phone-sized screen, axe-core, and archive markup that never runs."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from index.build import reindex
from index.settings import Settings
from search.web.server import running_in_background
from archive_files import write_archive

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (the test extra)")
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright",
                              reason="needs axe-playwright-python (the test extra)")

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
CITIES = ("Baku", "London", "Tokyo", "Paris", "Cairo", "Nairobi")
MONTHS = 6
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
HOSTILE = {"id": "hostile-1", "title": "Markup in the archive", "date": "1987-03-10",
           "author": "", "url": "javascript:window.__pwned=3", "dateline": "",
           "paragraphs": ["A markup paragraph <script>window.__pwned = 1; alert(1)</script> ends.",
                          "More markup <img src=x onerror=\"window.__pwned = 2; alert(2)\"> here."]}


def articles() -> list[dict]:
    """One article per city and month of early 1987; exactly one paragraph of each mentions oil."""
    made = []
    for i in range(len(CITIES) * MONTHS):
        city, month = CITIES[i % len(CITIES)], 1 + i // len(CITIES)
        made.append({
            "id": f"report-{i}", "title": f"Market report {i} from {city}",
            "date": f"1987-{month:02d}-{1 + i % 28:02d}", "author": "", "url": "", "dateline": "",
            # Each text its own (the same text in two reports would be copies, folded).
            "paragraphs": [f"Oil shipments through {city} rose on {WEEKDAYS[i % 5]} in report "
                           f"{i}, port officials said.",
                           f"Grain shipments through {city} were steady, officials said."]})
    return made + [HOSTILE]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("browser-site")
    write_archive(root / "archive", articles())
    settings = Settings.from_env({}, index_dir=root / "idx", sources=(root / "archive",),
                                 workers=1, lock_timeout=5, threads=4)
    reindex(settings)
    with running_in_background(settings, port=0) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def page(request, browser):
    """A fresh tab, with JavaScript on and then off; dialogs are recorded, never answered."""
    context = browser.new_context(java_script_enabled=request.param)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


@pytest.fixture
def scripted_page(browser):
    context = browser.new_context()
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def params_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def hit_dates(tab) -> list[str]:
    return tab.locator(".hit time").evaluate_all("times => times.map(t => t.dateTime)")


def open_options(tab) -> None:
    """Unfold the form's dates, places and options (folded unless one of them is in use)."""
    if tab.locator("details.options").get_attribute("open") is None:
        tab.locator(".options summary").click()


def summary_count(tab) -> int:
    return int(re.match(r"\s*([\d,]+)", tab.locator(".summary").inner_text()).group(1).replace(",", ""))


# ---------------------------------------------------------------- a reader's path, JS on and off

def test_typing_a_query_and_submitting_shows_marked_results(site, page):
    page.goto(site + "/")
    page.fill("#q", "oil")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=oil"))
    assert summary_count(page) == len(CITIES) * MONTHS
    marks = page.locator(".hit .snippet mark")
    assert marks.count() >= 10
    assert marks.first.inner_text().lower() == "oil"


def test_a_place_facet_then_a_date_range_narrow_the_results(site, page):
    page.goto(site + "/?q=oil")
    page.locator(".facet a", has_text=re.compile(r"^London \(England\)$")).first.click()
    page.wait_for_url(re.compile(r"place="))
    assert summary_count(page) == MONTHS
    assert "London" in page.locator(".chips").inner_text()
    open_options(page)
    page.fill("#from", "1987-02")
    page.fill("#to", "1987-03")
    page.locator(".apply button").click()
    page.wait_for_url(re.compile(r"to=1987-03"))
    assert params_of(page.url)["place"] == ["geonames:2643743"]
    assert summary_count(page) == 2
    assert all("1987-02" <= d[:7] <= "1987-03" for d in hit_dates(page))


def test_a_timeline_bar_narrows_the_dates_to_its_month(site, page):
    page.goto(site + "/?q=oil")
    page.locator(".timeline-chart a").first.click()
    page.wait_for_url(re.compile(r"from=1987-01"))
    assert params_of(page.url)["to"] == ["1987-01"]
    assert summary_count(page) == len(CITIES)
    assert {d[:7] for d in hit_dates(page)} == {"1987-01"}


def test_paging_forward_then_opening_an_article_and_coming_back(site, page):
    page.goto(site + "/?q=oil")
    page.locator(".pages a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator(".pages [aria-current=page]").text_content() == "Page 2"
    first_title = page.locator(".hit-title a").first
    title = first_title.inner_text()
    first_title.click()
    page.wait_for_url(re.compile(r"/article/report-\d+\?.*#p0"))
    assert page.locator("h1").inner_text() == title
    target = page.locator("p.para:target")
    assert target.count() == 1 and target.locator("mark").inner_text().lower() == "oil"
    page.locator(".back a").click()
    page.wait_for_url(re.compile(r"/\?q=oil&page=2$"))
    assert page.locator(".pages [aria-current=page]").text_content() == "Page 2"
    page.go_back()
    page.wait_for_url(re.compile(r"/article/"))
    page.go_back()
    assert page.locator(".pages [aria-current=page]").text_content() == "Page 2"


def test_results_are_one_per_story_with_a_link_to_its_other_matching_paragraphs(site, page):
    page.goto(site + "/?q=shipments")
    assert summary_count(page) == len(CITIES) * MONTHS
    assert "articles" in page.locator(".summary").inner_text()
    more = page.locator(".hit .more a")
    assert more.count() == 10 and more.first.inner_text().startswith("1 more matching paragraph")
    more.first.click()
    page.wait_for_url(re.compile(r"/article/report-\d+\?q=shipments"))
    marked = page.locator("p.para mark")
    assert marked.count() == 2 and {m.lower() for m in marked.all_inner_texts()} == {"shipments"}
    page.go_back()
    page.wait_for_url(re.compile(r"/\?q=shipments$"))


def test_the_paragraph_option_lists_every_matching_paragraph(site, page):
    page.goto(site + "/?q=shipments")
    open_options(page)
    page.locator("input[name=group]").check()
    page.locator(".apply button").click()
    page.wait_for_url(re.compile(r"group=paragraph"))
    assert summary_count(page) == 2 * len(CITIES) * MONTHS
    assert page.locator(".hit .more").count() == 0
    assert "Every paragraph" in page.locator(".chips").inner_text()


def test_a_bad_date_shows_the_message_beside_the_field(site, page):
    page.goto(site + "/?q=oil")
    open_options(page)
    page.fill("#from", "1987-13")
    with page.expect_navigation() as navigation:
        page.locator(".apply button").click()
    assert navigation.value.status == 400
    error = page.locator("#from-error")
    assert error.is_visible() and "calendar date" in error.inner_text()
    assert page.locator("#from").get_attribute("aria-invalid") == "true"
    assert page.locator("#from").input_value() == "1987-13"


def test_archive_markup_never_runs(site, page):
    # group=paragraph: both hostile paragraphs as hits (the page's default shows the story's best).
    for path in ("/?q=markup&group=paragraph", "/article/hostile-1?q=markup"):
        page.goto(site + path)
        assert "<script>" in page.locator("main").inner_text()
        assert page.locator("main img, main script").count() == 0
    assert page.dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"


# ---------------------------------------------------------------- what only the script adds

def test_slash_focuses_the_search_box(site, scripted_page):
    scripted_page.goto(site + "/?q=oil")
    scripted_page.locator("h1").click()
    scripted_page.keyboard.press("/")
    assert scripted_page.evaluate("document.activeElement.id") == "q"
    assert scripted_page.locator("#q").input_value() == "oil"


def test_place_field_suggests_places_from_the_api(site, scripted_page):
    scripted_page.goto(site + "/?q=oil")
    open_options(scripted_page)
    scripted_page.locator("#place").press_sequentially("Nair")
    options = scripted_page.locator("#place-options option")
    options.first.wait_for(state="attached")
    # Each suggestion is the place's label, which names one place and which the filter takes.
    assert "Nairobi (Kenya)" in options.evaluate_all("os => os.map(o => o.value)")


# ---------------------------------------------------------------- phone, accessibility

@pytest.mark.parametrize("path", ["/", "/?q=oil", "/article/report-7?q=oil#p0", "/?q=oil&from=1987-13",
                                  "/?q=oil&place=London&from=1987-02&to=1987-04&match=any"])
def test_a_375_pixel_screen_never_scrolls_sideways(site, browser, path):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    tab = context.new_page()
    tab.goto(site + path)
    assert tab.evaluate("document.scrollingElement.scrollWidth") <= 375
    context.close()


@pytest.mark.parametrize("path", ["/", "/?q=oil", "/?q=oil&from=1987-13",
                                  "/article/report-7?q=oil#p0", "/no/such/page", "/?q=shipments",
                                  "/?q=shipments&group=paragraph",
                                  "/?q=shipments&from=1987-02&to=1987-02", "/?q=shipments&page=99"])
def test_axe_finds_no_serious_or_critical_violation(site, scripted_page, path):
    scripted_page.goto(site + path)
    scripted_page.locator(".options summary, .back a, main h1").first.wait_for()
    violations = axe_api.Axe().run(scripted_page).response["violations"]
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations
           if v["impact"] in ("serious", "critical")]
    assert bad == []


# ---------------------------------------------------------------- compare over time

def test_the_trends_view_compares_two_queries_and_axe_finds_no_serious_violation(site, scripted_page):
    scripted_page.goto(site + "/trends?q=oil&q=grain")
    assert scripted_page.locator("svg.trends-chart polyline").count() == 2
    assert scripted_page.locator(".trends-legend li").all_inner_texts()[1].strip().startswith("grain")
    assert scripted_page.locator(".trends-table tbody tr").count() == MONTHS
    violations = axe_api.Axe().run(scripted_page).response["violations"]
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations
           if v["impact"] in ("serious", "critical")]
    assert bad == []
    scripted_page.locator("svg.trends-chart a").nth(MONTHS + 1).click()
    scripted_page.wait_for_url(re.compile(r"/\?q=grain&from=1987-02&to=1987-02$"))
    assert summary_count(scripted_page) == len(CITIES)


# ---------------------------------------------------------------- the world map

def test_the_maps_links_are_reached_and_followed_from_the_keyboard(site, scripted_page):
    scripted_page.goto(site + "/?q=oil")
    for _ in range(200):
        scripted_page.keyboard.press("Tab")
        label = scripted_page.evaluate(
            "document.activeElement.closest('svg.map-chart') ? "
            "document.activeElement.getAttribute('aria-label') : null")
        if label:
            break
    assert label, "no link of the map took the keyboard's focus"
    with scripted_page.expect_navigation():
        scripted_page.keyboard.press("Enter")
    params = params_of(scripted_page.url)
    assert params["q"] == ["oil"] and len(params["place"]) == 1
    assert scripted_page.locator(".chips").inner_text().count("Place") == 1


@pytest.mark.parametrize("path", ["/", "/?q=oil", "/?q=oil&place=London"])
def test_axe_finds_nothing_at_all_on_the_map(site, scripted_page, path):
    scripted_page.goto(site + path)
    scripted_page.locator("svg.map-chart").wait_for()
    scripted_page.locator(".map-table summary").click()   # the table too, unfolded
    violations = axe_api.Axe().run(scripted_page, context=".map").response["violations"]
    assert [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations] == []


# ---------------------------------------------------------------- following a search, what it is about

def test_the_head_links_the_feed_and_search_box_and_the_results_say_what_they_are_about(site, scripted_page):
    scripted_page.goto(site + "/?q=oil&place=London")
    feed = scripted_page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    assert feed.get_attribute("href") == "/feed?q=oil&place=London"
    search = scripted_page.locator('head link[rel="search"]')
    assert (search.get_attribute("type"), search.get_attribute("href")) == \
        ("application/opensearchdescription+xml", "/opensearch.xml")
    for path in ("/feed?q=oil&place=London", "/opensearch.xml"):
        answer = scripted_page.request.get(site + path)
        assert answer.ok and "xml" in answer.headers["content-type"], path
    about = scripted_page.get_by_role("region", name="What these results are about")
    word = about.get_by_role("link").first
    added = word.inner_text().split()[1]   # "Add <word> to the search", the rest for screen readers
    violations = axe_api.Axe().run(scripted_page).response["violations"]
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations
           if v["impact"] in ("serious", "critical")]
    assert bad == []
    with scripted_page.expect_navigation():
        word.click()
    assert params_of(scripted_page.url)["q"] == [f"oil {added}"]
    assert params_of(scripted_page.url)["place"] == ["London"]


# ---------------------------------------------------------------- related stories

def test_the_article_page_lists_five_related_stories_that_open_and_axe_finds_nothing(site, scripted_page):
    scripted_page.goto(site + "/article/report-7")
    related = scripted_page.get_by_role("complementary", name="Related stories")
    stories = related.locator("li.hit")
    assert stories.count() == 5
    for n in range(5):
        assert stories.nth(n).locator("time").get_attribute("datetime").startswith("1987-")
        assert stories.nth(n).locator(".place-links a").count() >= 1
    violations = axe_api.Axe().run(scripted_page, context=".related").response["violations"]
    assert [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations] == []
    href = stories.first.locator(".hit-title a").get_attribute("href")
    assert href != "/article/report-7"
    with scripted_page.expect_navigation():
        stories.first.locator(".hit-title a").click()
    assert scripted_page.url == site + href


# ---------------------------------------------------------------- export

@pytest.mark.parametrize("label,suffix", [("CSV", ".csv"), ("JSON Lines", ".jsonl")])
def test_the_download_links_save_every_hit_of_the_search(site, scripted_page, label, suffix):
    """The links beside the total download the whole result set (not the page's ten), grouped as
    the page is, in a file named for the query."""
    scripted_page.goto(site + "/?q=oil&group=paragraph&page_size=10")
    total = int(re.search(r"([0-9,]+) paragraphs?", scripted_page.locator(".summary, main").first
                          .inner_text()).group(1).replace(",", ""))
    assert total > 10
    link = scripted_page.get_by_role("link", name=label, exact=True)
    with scripted_page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename.startswith("news-search-oil-")
    assert download.suggested_filename.endswith(suffix)
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    # CSV: a header and one row per hit; JSON Lines: the export's own first line, then the hits.
    assert len(lines) == total + 1
