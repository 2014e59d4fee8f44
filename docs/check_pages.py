"""Opens every page of the built book in headless Chromium and checks what a reader sees.

For each page, at a phone width and a desktop width:

* no console error and no uncaught script error;
* no request leaves the machine (the book must need no network): the pages
  are opened as files, and any request that is not for a local file is
  blocked and reported;
* every image loads;
* every equation is typeset by MathJax (no raw ``\\(`` left on the page);
* the page is not wider than the window (code blocks may scroll inside
  themselves, the page itself must not).

Usage::

    python docs/check_pages.py docs/_build/html [--screenshots DIR] [--chromium PATH] [--workers N]

It needs the ``playwright`` package and Chromium (Debian: ``apt-get install
chromium``); Playwright drives that Chromium, it downloads no browser.
Exits with status 1 and one line per problem if any page fails.
"""

import argparse
import concurrent.futures
import functools
import pathlib
import sys
import urllib.parse

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

WIDTHS = {"phone": 390, "desktop": 1280}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# MathJax typesets after the page has loaded; on a busy machine that can take a
# while, so the check waits for it (up to TYPESET_WAIT_MS) before it looks.
TYPESET_WAIT_MS = 60_000
TYPESET_DONE = """() => [...document.querySelectorAll('.math')]
    .every(el => el.querySelector('mjx-container'))"""
CHECK_PAGE = """async () => {
    const mathjax = window.MathJax && MathJax.startup ? 'loaded ' + MathJax.version : 'not loaded';
    const images = [...document.images];
    const broken = images.filter(img => !img.complete || img.naturalWidth === 0)
                         .map(img => img.getAttribute('src'));
    const math = [...document.querySelectorAll('.math')];
    const raw = math.filter(el => !el.querySelector('mjx-container')).length;
    const root = document.documentElement;
    const wide = [...document.body.querySelectorAll('*')]
        .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
        .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right
                                            <= root.clientWidth + 1)
        .slice(0, 3)
        .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
    return {broken, math: math.length, raw, mathjax, width: root.scrollWidth,
            window: root.clientWidth, wide};
}"""


def pages_of(folder):
    skipped = {"_static", "_sources", "_images", "_downloads", "_modules"}
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*.html")
        if not skipped & set(path.relative_to(folder).parts)
    )


def check_page(browser, base, page_path, width, screenshots):
    """Returns the problems a reader meets on one page at one window width."""
    problems, outside = [], []
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    def route(request_route):
        scheme = urllib.parse.urlparse(request_route.request.url).scheme
        if scheme in ("file", "data", "blob"):
            return request_route.continue_()
        outside.append(request_route.request.url)
        return request_route.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(f"console: {message.text}"),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.goto(base + page_path, wait_until="networkidle")
    try:
        page.wait_for_function(TYPESET_DONE, timeout=TYPESET_WAIT_MS)
    except PlaywrightTimeout:
        pass  # what is still not typeset is reported below
    result = page.evaluate(CHECK_PAGE)
    problems += [f"request leaves the machine: {url}" for url in outside]
    problems += [f"image does not load: {src}" for src in result["broken"]]
    if result["raw"]:
        problems.append(
            f"{result['raw']} of {result['math']} equations not typeset after "
            f"{TYPESET_WAIT_MS / 1000:.0f} s (MathJax {result['mathjax']})"
        )
    if result["width"] > result["window"] + 1:
        problems.append(
            f"page is {result['width']} px wide in a {result['window']} px window "
            f"(widest: {', '.join(result['wide'])})"
        )
    if screenshots is not None:
        name = page_path.replace("/", "_").removesuffix(".html")
        page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=False)
    context.close()
    return problems


def check_pages(pages, base, chromium, screenshots):
    """Checks some pages at every width in one browser; returns one line per problem."""
    lines = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for page_path in pages:
            for label, width in WIDTHS.items():
                for problem in check_page(browser, base, page_path, width, screenshots):
                    lines.append(f"{page_path} ({label}, {width} px): {problem}")
        browser.close()
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=pathlib.Path, help="the built book, docs/_build/html")
    parser.add_argument("--screenshots", type=pathlib.Path, default=None)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--only", default="", help="check only pages whose path contains this")
    parser.add_argument(
        "--workers", type=int, default=2, help="browsers run side by side (pages mostly wait)"
    )
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        parser.error(f"html must be a built book with an index.html (got {args.html})")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1 (got {args.workers})")
    if args.screenshots is not None:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    base = args.html.resolve().as_uri() + "/"
    pages = [p for p in pages_of(args.html) if args.only in p]
    shares = [pages[start :: args.workers] for start in range(args.workers)]
    with concurrent.futures.ProcessPoolExecutor(args.workers) as pool:
        check_share = functools.partial(
            check_pages, base=base, chromium=args.chromium, screenshots=args.screenshots
        )
        lines = sorted(line for share in pool.map(check_share, shares) for line in share)
    for line in lines:
        print(line)
    print(f"checked {len(pages)} pages at {len(WIDTHS)} widths: {len(lines)} problems")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
