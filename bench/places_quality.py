"""Places and dates quality and speed: Reuters country-level P/R/F1, datelines, the articles
datelined WASHINGTON, the seed article, paragraphs per second, gazetteer load time and memory,
and how matching time grows with the length of one paragraph (100 KB against 800 KB: about 8
when linear, 64 when quadratic).

    python bench/places_quality.py [--shared ../shared] [--errors 30] [--no-prior]

Articles come from the project's Reuters reader (index.sources); only the editors' <PLACES>
labels are parsed here. Articles whose <PLACES> is empty are left out of P/R and datelines.
As `reindex` does, a first pass counts how the 18 files read their ambiguous names (the
archive's prior, `index.places.prior`) and the scored pass reads with it; `--no-prior` scores
the first pass (each article on its own). The speed figure is of the scored pass; the first
pass's time is printed beside it.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.dates import extract_mentioned_dates  # noqa: E402
from index.places import DATA_DIR, Gazetteer, dateline_place_text, read_table  # noqa: E402
from index.places.prior import ReadingCounts  # noqa: E402
from index.sources import read_source  # noqa: E402

_RECORD = re.compile(r'<REUTERS\b[^>]*?\bNEWID="(\d+)".*?</REUTERS>', re.DOTALL)
_PLACES = re.compile(r"<PLACES>(.*?)</PLACES>", re.DOTALL)
_D = re.compile(r"<D>(.*?)</D>")

SEED_EXPECTED = [
    {"AZ", "curated:karabakh"},
    {"AZ", "geonames:148619", "geonames:586523"},
    {"curated:karabakh", "AZ", "AM"},
    {"AZ"},
    {"AZ", "curated:karabakh"},
    set(),
    set(),
    {"geonames:587084", "geonames:148619", "geonames:586523", "AM"},
    {"AM", "AZ", "geonames:148619", "curated:karabakh", "geonames:586523"},
    {"AZ", "AM", "RU"},
    {"AZ", "AM", "geonames:586268", "geonames:148619", "geonames:147625", "geonames:147105"},
]
# The capital's GeoNames id: what an article datelined WASHINGTON must be tagged with.
WASHINGTON_DC = "geonames:4140963"
SEED_DATES = {"2021-04-06", "2020-09-27", "2020-11-10", "2020-09", "2020-11"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--errors", type=int, default=0, help="print the N commonest errors")
    parser.add_argument("--no-prior", action="store_true",
                        help="read each article on its own, without the archive's prior")
    args = parser.parse_args()
    load_seconds, load_mb = load_cost()
    print(f"gazetteer load: {load_seconds:.2f} s of CPU, peak RSS of a fresh process {load_mb:.0f} MB")
    gazetteer = Gazetteer.load()
    folder = args.shared / "data" / "reuters21578"
    if not args.no_prior:
        gazetteer = with_archive_prior(gazetteer, folder)
    reuters_quality(gazetteer, folder, args.errors)
    seed_check(gazetteer, args.shared / "data" / "seed")
    long_paragraph_growth(gazetteer, args.shared / "data" / "reuters21578")


def load_cost() -> tuple[float, float]:
    """Seconds to load the gazetteer and the peak RSS (MB) of a process that only does that."""
    code = ("import json, resource, sys, time; sys.path.insert(0, %r); "
            "t = time.process_time(); from index.places import Gazetteer; Gazetteer.load(); "
            "print(json.dumps([time.process_time() - t, "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))") % str(ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, mb = json.loads(out.stdout)
    return seconds, mb


def long_paragraph_growth(gazetteer: Gazetteer, folder: Path) -> None:
    """Time to match one paragraph of 100 KB and one of 800 KB of Reuters text (no splitting)."""
    articles, _ = read_source(next(iter(sorted(folder.glob("reut2-0[01][0-9].sgm")))))
    text = " ".join(p for a in articles for p in a.paragraphs)
    seconds = []
    for size in (100_000, 800_000):
        paragraph = (text * (size // len(text) + 1))[:size]
        start = time.process_time()
        gazetteer.find(paragraph)
        seconds.append(time.process_time() - start)
    print(f"one paragraph: 100 KB {seconds[0]:.2f} s, 800 KB {seconds[1]:.2f} s of CPU, "
          f"ratio {seconds[1] / seconds[0]:.1f} (8 is linear)")


def with_archive_prior(gazetteer: Gazetteer, folder: Path) -> Gazetteer:
    """The gazetteer with the prior of a first pass over the Reuters files, as reindex counts it."""
    counts = ReadingCounts()
    start = time.process_time()
    for path in sorted(folder.glob("reut2-0[01][0-9].sgm")):
        articles, _ = read_source(path)
        for article in articles:
            counts.add(str(path), gazetteer.readings(article))
    prior = counts.prior()
    print(f"first pass (read the files, count readings): {time.process_time() - start:.2f} s of CPU, "
          f"{len(prior.leaders)} names with a leading reading, "
          f"home country {prior.home or 'none'}")
    return gazetteer.with_prior(prior)


def reuters_labels(path: Path) -> dict[str, list[str]]:
    text = path.read_text(encoding="latin-1")
    labels = {}
    for record in _RECORD.finditer(text):
        places = _PLACES.search(record.group(0))
        labels[record.group(1)] = _D.findall(places.group(1)) if places else []
    return labels


def code_table() -> tuple[dict[str, str], dict[str, str]]:
    """Reuters code → ISO key, and ISO → ISO key (successor states folded into 1987 states)."""
    by_code, by_iso = {}, {}
    for code, isos in read_table(DATA_DIR / "reuters_places.tsv"):
        codes = isos.split()
        by_code[code] = codes[0]
        for iso in codes:
            by_iso.setdefault(iso, codes[0])
    return by_code, by_iso


def reuters_quality(gazetteer: Gazetteer, folder: Path, show_errors: int) -> None:
    by_code, by_iso = code_table()
    tp = fp = fn = 0
    dateline_total = dateline_ok = 0
    washington_total = washington_ok = 0
    paragraphs = 0
    seconds = 0.0
    errors: collections.Counter = collections.Counter()
    examples: dict = {}
    files = sorted(folder.glob("reut2-0[01][0-9].sgm"))
    for path in files:
        labels = reuters_labels(path)
        articles, _ = read_source(path)
        for article in articles:
            start = time.process_time()
            found = gazetteer.find_in_article(article)
            for text in article.paragraphs:
                extract_mentioned_dates(text, article.date)
            seconds += time.process_time() - start
            paragraphs += len(article.paragraphs)
            places = [m.place for para in found.paragraphs for m in para]
            if found.dateline is not None:
                places.append(found.dateline)
            if dateline_place_text(article.dateline) == "WASHINGTON":
                washington_total += 1
                named = {p.id for p in places if p.name == "Washington"}
                washington_ok += named == {WASHINGTON_DC}
            gold = {by_code[c] for c in labels.get(article.id, [])}
            if not gold:
                continue
            predicted = {by_iso.get(p.country_code, p.country_code) for p in places}
            tp += len(predicted & gold)
            fp += len(predicted - gold)
            fn += len(gold - predicted)
            for iso in predicted - gold:
                errors["FP " + iso] += 1
                examples.setdefault("FP " + iso, []).append(
                    (article.id, [m.surface for para in found.paragraphs for m in para
                                  if by_iso.get(m.place.country_code) == iso][:4]))
            for iso in gold - predicted:
                errors["FN " + iso] += 1
                examples.setdefault("FN " + iso, []).append((article.id, article.title[:60]))
            if dateline_place_text(article.dateline):
                dateline_total += 1
                if found.dateline is not None and by_iso.get(
                        found.dateline.country_code, found.dateline.country_code) in gold:
                    dateline_ok += 1
                elif show_errors:
                    errors["DL " + dateline_place_text(article.dateline)] += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"reuters ({len(files)} files, articles with <PLACES> labels): "
          f"P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    print(f"datelines resolved to a labelled country: {dateline_ok}/{dateline_total} "
          f"= {dateline_ok / max(dateline_total, 1):.1%}")
    print(f"datelined WASHINGTON, read as Washington, D.C. and no other Washington: "
          f"{washington_ok}/{washington_total} (every article, labelled or not)")
    print(f"speed (places + dates, one process, CPU time): {paragraphs / seconds:,.0f} paragraphs/s "
          f"({paragraphs} paragraphs)")
    for key, count in errors.most_common(show_errors):
        print(f"  {count:5d} {key}  {examples.get(key, [])[:3]}")


def seed_check(gazetteer: Gazetteer, folder: Path) -> None:
    path = next(folder.glob("*.txt"))
    articles, _ = read_source(path)
    article = articles[0]
    found = gazetteer.find_in_article(article)
    failures = []
    for n, (mentions, expected) in enumerate(zip(found.paragraphs, SEED_EXPECTED)):
        got = {m.place.id for m in mentions}
        if got != expected:
            failures.append(f"paragraph {n}: missing {expected - got}, extra {got - expected}")
    dates = {m.term for text in article.paragraphs
             for m in extract_mentioned_dates(text, article.date or dt.date(2021, 4, 8))}
    if dates != SEED_DATES:
        failures.append(f"dates: missing {SEED_DATES - dates}, extra {dates - SEED_DATES}")
    print("seed article: " + ("all places and dates as expected" if not failures
                              else "FAILED\n  " + "\n  ".join(failures)))


if __name__ == "__main__":
    main()
