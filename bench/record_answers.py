"""Record what the public doors answer for a fixed set of requests, to prove a change of structure
changed no behaviour: the API and the page over a real `serve` process, and `manage.py search`
and `status`. Timing fields (`took_ms`, built-at times) are blanked; everything else is kept
byte for byte. Run it before and after a change on the same index, then `--compare`.

    python bench/record_answers.py --index-dir IDX --out before.json
    python bench/record_answers.py --index-dir IDX --out after.json --compare before.json
"""
from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["oil", "interest rates", '"interest rates"', "coffee exports", "crude,opec", "opec AND price",
           "bank~", "gold*", "said", "zzzqqq", "wheat", "<script>alert(1)</script>", "tokyo stock"]
API = ([f"/api/search?q={q}" for q in QUERIES]
       + ["/api/search?q=oil&group=article", "/api/search?q=oil&sort=newest&page=2",
          "/api/search?q=trade&place=Japan&facets=place&facets=country&facets=month",
          "/api/search?q=trade&from=1987-03&to=1987-03-05", "/api/search?q=opec&mode=advanced",
          "/api/search?q=bank&match=any&expand=true", "/api/search?q=&sort=oldest",
          "/api/search?from=1987-13", "/api/search?page=0", "/api/search?page_size=1000",
          "/api/search?q=(((&mode=advanced", "/api/search?bogus=1", "/api/places?prefix=wash",
          "/api/places?prefix=", "/api/articles/322", "/api/articles/nope", "/api/openapi.json",
          "/healthz", "/api/status", "/nowhere"])
PAGES = (["/", "/?q=oil", "/?q=interest+rates&page=2", "/?q=oil&place=Japan", "/?from=1987-13",
          "/?q=zzzqqq", "/article/322?q=rates", "/article/nope", "/static/style.css", "/static/page.js"])
CLI = [["search", "oil"], ["search", "oil", "--json"], ["search", "gold", "--group", "article"],
       ["search", "oil", "--from", "1987-13"], ["status"]]
_VOLATILE = re.compile(r'("took_ms": )[0-9.]+|("built_at": )"[^"]*"|(took )[0-9.]+ ?ms|'
                       r'(in )[0-9.]+ ms|(· )[0-9.]+ ms|(Built|built)[^\n<]*[0-9]{2}:[0-9]{2}[^\n<]*')


def steady(text: str) -> str:
    return _VOLATILE.sub(lambda m: next(g for g in m.groups() if g is not None) + "#", text)


def fetch(base: str, path: str) -> dict:
    url = base + urllib.parse.quote(path, safe="/?=&:,*~\"<>()")
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            status, headers, body = r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        status, headers, body = err.code, err.headers, err.read()
    kept = {k: headers[k] for k in ("Content-Type", "X-Index-Generation", "Retry-After") if headers[k]}
    return {"status": status, "headers": kept, "body": steady(body.decode("utf-8", "replace"))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record(index_dir: str) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "manage.py", "serve", "--workers", "1", "--port", str(port),
                               "--index-dir", index_dir], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        answers = {path: fetch(base, path) for path in API + PAGES}
    finally:
        server.terminate()
        server.wait(timeout=30)
    for args in CLI:
        done = subprocess.run([sys.executable, "manage.py", *args, "--index-dir", index_dir], cwd=ROOT,
                              capture_output=True, text=True)
        answers["manage.py " + " ".join(args)] = {"status": done.returncode, "body": steady(done.stdout),
                                                  "stderr": steady(done.stderr)}
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--compare", help="answers recorded before, to compare with")
    args = parser.parse_args()
    answers = record(args.index_dir)
    Path(args.out).write_text(json.dumps(answers, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(answers)} answers recorded in {args.out}")
    if args.compare:
        before = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        differ = sorted(k for k in set(before) | set(answers) if before.get(k) != answers.get(k))
        for key in differ:
            print(f"differs: {key}")
        print(f"{len(answers) - len(differ)} of {len(answers)} answers identical")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
