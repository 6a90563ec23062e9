"""Check the built website (_build/html) the way a reader uses it: offline, in a real browser.

Run after `make book` (or `make book-strict`):  .venv/bin/python tools/check_site.py [_build/html]
`make check-site` does exactly that. Every check runs; the exit status is 1 if any failed.

Static checks (stdlib HTML parser, every .html page of the site):
  offline   no page loads a script, style sheet, font, image or frame from another host;
  links     every internal link and #anchor resolves to a file and an id that exist, and no
            cross-reference was left unresolved (Sphinx shows those as plain text);
  api       the API page documents every name in ``mlelib.__all__``;
  book      every toc page exists, chapter notebooks have an .ipynb download link and link to the
            API entry of at least one mlelib name, and every exercise solution is collapsed.
Browser checks (headless Debian Chromium driven over the DevTools protocol, site served on
127.0.0.1, every other host unreachable), for each page in _toc.yml:
  MathJax typeset the math (mjx-container elements, no mjx-merror, no raw $$, \\frac, \\( left in
  the visible text), every image loaded with a non-zero natural size, no JavaScript error, no
  request left 127.0.0.1, solutions start collapsed; the offline search finds a chapter.
  A PNG of the first screen of each page goes to _build/screenshots/ (a second one, *-dark.png,
  shows the first figure in dark mode).
"""

import argparse
import base64
import functools
import http.server
import json
import re
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Sphinx's own pages and theme templates that are not reader pages of the book.
SKIP_DIRS = {"_static", "_sources", "_images"}


# ----------------------------------------------------------------------------------------------
# parsing


class Page(HTMLParser):
    """Collect what the checks need from one HTML file: ids, links, resources, inline code."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []  # (tag, attr, url) that a reader follows (a href)
        self.resources = []  # (tag, attr, url) that the browser loads to render the page
        self.inline = []  # text of inline <script> and <style> elements, style="" attributes
        self.classes = []  # (tag, class list) of every element
        self.unresolved = []  # text of cross-references Sphinx could not resolve (xref outside <a>)
        self._in = None
        self._a_depth = 0
        self._xref_pending = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        for key in ("id", "name"):
            if key in a and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        self.classes.append((tag, a.get("class", "").split(), a))
        if tag == "a":
            self._a_depth += 1
        elif "xref" in a.get("class", "").split() and self._a_depth == 0:
            self._xref_pending = True
        if "style" in a:
            self.inline.append(a["style"])
        if tag == "a" and "href" in a:
            self.links.append((tag, "href", a["href"]))
        elif tag == "link" and "href" in a:
            rel = set(a.get("rel", "").lower().split())
            if rel & {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest",
                      "apple-touch-icon", "preconnect", "dns-prefetch", "mask-icon"}:
                self.resources.append((tag, "href", a["href"]))
            else:  # index, search, next, prev, canonical ...: navigation, not needed to render
                self.links.append((tag, "href", a["href"]))
        for attr in ("src", "data", "poster"):
            if attr in a and tag in {"script", "img", "iframe", "embed", "object", "source",
                                      "video", "audio", "track", "input"}:
                self.resources.append((tag, attr, a[attr]))
        for attr in ("srcset",):
            if attr in a:
                for part in a[attr].split(","):
                    if part.strip():
                        self.resources.append((tag, attr, part.strip().split()[0]))
        if tag in ("script", "style") and "src" not in a:
            self._in = tag
            self.inline.append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None
        if tag == "a":
            self._a_depth = max(self._a_depth - 1, 0)

    def handle_data(self, data):
        if self._in:
            self.inline[-1] += data
        if self._xref_pending and data.strip():
            self.unresolved.append(data.strip())
            self._xref_pending = False


@functools.lru_cache(maxsize=None)
def parse(path):
    page = Page()
    page.feed(Path(path).read_text(encoding="utf-8", errors="replace"))
    return page


def html_pages(site):
    return sorted(p for p in site.rglob("*.html") if not SKIP_DIRS & set(p.relative_to(site).parts))


def toc_docnames(toc_file):
    """Docnames in _toc.yml order (root, then every `file:` entry at any depth)."""
    import yaml

    toc = yaml.safe_load(Path(toc_file).read_text())
    names = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [re.sub(r"\.(md|ipynb|rst)$", "", n) for n in names]


def is_external(url):
    scheme = urllib.parse.urlsplit(url).scheme
    return url.startswith("//") or scheme in {"http", "https", "ftp", "ws", "wss"}


# ----------------------------------------------------------------------------------------------
# static checks: each returns a list of problems (strings)

URL_IN_CSS = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""", re.I)
URL_IN_JS = re.compile(r"""['"`]((?:https?:)?//[^'"`\s]+)""")


def check_offline(site):
    problems = []
    css_seen = set()
    for path in html_pages(site):
        rel = path.relative_to(site)
        page = parse(path)
        for tag, attr, url in page.resources:
            if is_external(url):
                problems.append(f"{rel}: <{tag} {attr}> loads {url} from another host")
            elif url.split("?")[0].endswith(".css") and not url.startswith("data:"):
                css_seen.add((path.parent / url.split("?")[0].split("#")[0]).resolve())
        for code in page.inline:
            for url in dict.fromkeys(URL_IN_CSS.findall(code) + URL_IN_JS.findall(code)):
                problems.append(f"{rel}: inline script/style refers to {url}")
    for css in sorted(css_seen):
        if css.is_file():
            for url in URL_IN_CSS.findall(css.read_text(encoding="utf-8", errors="replace")):
                problems.append(f"{css.relative_to(site.resolve())}: style sheet loads {url}")
    return problems


def check_links(site):
    problems = {}  # dict as an ordered set: one line per broken link and page
    for path in html_pages(site):
        rel = path.relative_to(site)
        page = parse(path)
        for text in page.unresolved:
            problems[f"{rel}: unresolved cross-reference {text!r} (shown as plain text, not a link)"] = None
        for tag, attr, url in page.links + page.resources:
            if not url or url.startswith(("data:", "mailto:", "javascript:", "blob:")):
                continue
            if is_external(url):
                continue  # hyperlinks to other sites (DOIs) are fine; loading from them is not
            parts = urllib.parse.urlsplit(url)
            target = path if not parts.path else (path.parent / urllib.parse.unquote(parts.path))
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems[f"{rel}: {url!r} points to a missing file"] = None
                continue
            frag = urllib.parse.unquote(parts.fragment)
            if frag and target.suffix == ".html" and frag not in parse(target.resolve()).ids:
                problems[f"{rel}: {url!r} points to a missing anchor #{frag}"] = None
    return list(problems)


def check_api(site):
    """Every public mlelib name has an entry (an element with id mlelib.<name>) on the API page."""
    sys.path.insert(0, str(ROOT))
    import mlelib

    pages = [p for p in html_pages(site) if any(i.startswith("mlelib.") for i in parse(p).ids)]
    if not pages:
        return ["no page documents any mlelib name: the API page (api.md) is missing"]
    documented = set().union(*(parse(p).ids for p in pages))
    return [
        f"{pages[0].relative_to(site)}: public name mlelib.{name} (in mlelib.__all__) is not documented "
        "(does it have a docstring?)"
        for name in mlelib.__all__
        if f"mlelib.{name}" not in documented
    ]


def check_book(site, docnames):
    problems = []
    for doc in docnames:
        path = site / f"{doc}.html"
        if not path.exists():
            problems.append(f"{doc}: listed in _toc.yml but {path.relative_to(site)} was not built")
            continue
        page = parse(path)
        downloads = [u for _, _, u in page.links if u.split("?")[0].endswith(".ipynb")]
        if (ROOT / f"{doc}.ipynb").exists() and not downloads:
            problems.append(f"{doc}.html: no download link for the notebook (.ipynb)")
        api_links = [u for _, _, u in page.links if "#mlelib." in u]
        if doc.startswith("chapters/") and (ROOT / f"{doc}.ipynb").exists() and not api_links:
            problems.append(f"{doc}.html: no link to the API page: write a library name as "
                            "{py:obj}`~mlelib.name` in the text so a reader can jump to its documentation")
        for tag, classes, attrs in page.classes:
            if "solution" in classes and "admonition" in classes and "dropdown" not in classes:
                problems.append(f"{doc}.html: solution {attrs.get('id')} is not collapsed "
                                "(add `:class: dropdown` to its solution-start)")
    return problems


# ----------------------------------------------------------------------------------------------
# the browser


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Browser:
    """Headless Chromium with one tab, driven over the DevTools protocol (websocket-client)."""

    def __init__(self, exe, width=1280, height=900):
        import websocket  # websocket-client, pinned in requirements.txt

        self.profile = tempfile.mkdtemp(prefix="check_site_chromium_")
        args = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-dev-shm-usage", "--disable-extensions",
            "--mute-audio", "--hide-scrollbars",
            f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
            f"--window-size={width},{height}",
            # No network: every host name except the local server fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "about:blank",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError(f"{exe} did not start (exit code {self.proc.poll()})")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            tabs = [t for t in json.load(r) if t["type"] == "page"]
        self.ws = websocket.create_connection(tabs[0]["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self.events):
            if ev["method"] == method:
                return self.events.pop(i)
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == method:
                return msg
            if "method" in msg:
                self.events.append(msg)
        raise TimeoutError(method)

    def js(self, expression, timeout=30):
        res = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                        returnByValue=True, timeout=timeout * 1000)
        if "exceptionDetails" in res:
            raise RuntimeError(f"JavaScript failed: {res['exceptionDetails'].get('text')}: "
                               f"{res['exceptionDetails'].get('exception', {}).get('description')}")
        return res["result"].get("value")

    def open(self, url):
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


# Runs in the page after load: waits for MathJax and the images, then reports what a reader sees.
PAGE_REPORT_JS = r"""
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
    if (MathJax.typesetPromise) { await MathJax.typesetPromise(); }
  }
  const imgs = Array.from(document.querySelectorAll('article img, main img'));
  await Promise.all(imgs.map(img => img.complete ? null :
      new Promise(done => { img.onload = img.onerror = done; })));
  const article = document.querySelector('article') || document.querySelector('main') || document.body;
  const visible = article.cloneNode(true);
  visible.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea')
         .forEach(el => el.remove());
  const solutions = Array.from(document.querySelectorAll('div.solution'));
  const open = solutions.filter(sol => Array.from(sol.children)
      .filter(el => !el.classList.contains('admonition-title') && !el.matches('button'))
      .some(el => el.getBoundingClientRect().height > 0));
  return {
    mathSources: document.querySelectorAll('.math, .MathJax_Preview, mjx-container').length,
    mjx: document.querySelectorAll('mjx-container').length,
    mjxErrors: Array.from(document.querySelectorAll('mjx-merror'))
        .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 5),
    mathjaxLoaded: !!(window.MathJax && MathJax.version),
    text: visible.innerText,
    images: imgs.map(img => ({src: img.getAttribute('src'), w: img.naturalWidth, h: img.naturalHeight})),
    solutions: solutions.length,
    openSolutions: open.map(sol => sol.id),
  };
})()
"""

RAW_TEX = [
    (re.compile(r"\$\$"), "$$"),
    (re.compile(r"\\(frac|begin|end|sum|prod|hat|theta|ell|mathrm|left|right)\b"), "a TeX command"),
    (re.compile(r"\\[\(\)\[\]]"), "a \\( \\) or \\[ \\] delimiter"),
    (re.compile(r"(?<![\w$])\$[^$\s][^$\n]{0,80}?[\\^_{][^$\n]{0,80}?\$"), "inline $...$ math"),
]


def check_pages_in_browser(site, docnames, shots_dir):
    exe = find_chromium()
    if exe is None:
        return ["chromium is not installed (Debian: apt-get install chromium); browser checks not run"]
    problems = []
    shots_dir.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(Quiet, directory=str(site))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    browser = Browser(exe)
    try:
        for doc in docnames:
            problems += check_one_page(browser, base, doc, shots_dir)
        problems += check_search(browser, base, docnames)
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    return problems


def page_events(browser, base):
    """Problems from the events seen while a page loaded: JS errors, failed or off-site requests."""
    problems = []
    for ev in browser.events:
        method, p = ev["method"], ev.get("params", {})
        if method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if not url.startswith((base, "data:", "blob:", "about:")):
                problems.append(f"requested {url} (not on this site: the page needs the network)")
        elif method == "Network.responseReceived":
            status, url = p["response"]["status"], p["response"]["url"]
            if status >= 400 and not url.endswith("/favicon.ico"):
                problems.append(f"HTTP {status} for {url}")
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            problems.append(f"a request failed: {p.get('errorText')} ({p.get('type')})")
        elif method == "Runtime.exceptionThrown":
            details = p["exceptionDetails"]
            problems.append("JavaScript error: " + (details.get("exception", {}).get("description")
                                                    or details.get("text", "")).splitlines()[0])
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            if "favicon.ico" not in p["entry"].get("url", ""):
                problems.append(f"console error: {p['entry']['text']}")
    return problems


def check_one_page(browser, base, doc, shots_dir):
    url = base + urllib.parse.quote(f"{doc}.html")
    name = doc.replace("/", "__")
    browser.open(url)
    report = browser.js(PAGE_REPORT_JS, timeout=60)
    browser.js("window.scrollTo(0, 0)")
    browser.screenshot(shots_dir / f"{name}.png")
    problems = page_events(browser, base)
    if report["mathSources"] and not report["mathjaxLoaded"]:
        problems.append("the page has math but MathJax did not load")
    if report["mathSources"] and report["mjx"] == 0:
        problems.append("the page has math but MathJax typeset none of it (no mjx-container)")
    for err in report["mjxErrors"]:
        problems.append(f"MathJax could not typeset: {err}")
    for pattern, what in RAW_TEX:
        m = pattern.search(report["text"])
        if m:
            start = max(m.start() - 40, 0)
            context = report["text"][start:m.end() + 40].replace("\n", " ")
            problems.append(f"raw {what} left in the visible text: ...{context}...")
    for img in report["images"]:
        if not (img["w"] > 0 and img["h"] > 0):
            problems.append(f"image {img['src']} did not load (natural size {img['w']}x{img['h']})")
    for sol in report["openSolutions"]:
        problems.append(f"solution {sol} is open when the page loads (should be collapsed)")
    if report["images"]:
        # Dark mode: the first figure, as a reader with a dark theme sees it.
        browser.js("document.documentElement.dataset.theme = 'dark';"
                   "document.querySelector('article img, main img').scrollIntoView({block: 'center'})")
        time.sleep(0.3)
        browser.screenshot(shots_dir / f"{name}-dark.png")
    summary = (f"{report['mjx']} math, {len(report['images'])} images, "
               f"{report['solutions']} solutions")
    print(f"  {doc}: {summary}" + (f", {len(problems)} problem(s)" if problems else ""))
    return [f"{doc}.html (browser): {p}" for p in problems]


def check_search(browser, base, docnames):
    """The offline search (searchindex.js, no server code) finds the first chapter's title word."""
    browser.open(base + "search.html?q=likelihood")
    found = browser.js("""
      new Promise(done => {
        const t0 = Date.now();
        (function poll() {
          const summary = document.querySelector('#search-results .search-summary');
          const finished = summary && summary.textContent.trim() && !/searching|preparing/i.test(summary.textContent);
          if (finished || Date.now() - t0 > 15000) {
            done(document.querySelectorAll('#search-results ul.search li').length);
          } else { setTimeout(poll, 100); }
        })();
      })""")
    problems = [f"search.html (browser): {p}" for p in page_events(browser, base)]
    print(f"  search for 'likelihood': {found} result(s)")
    if not found:
        problems.append("search.html (browser): searching 'likelihood' found nothing")
    return problems


# ----------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"), help="the book's _toc.yml")
    parser.add_argument("--screenshots", default=None, help="default: <site>/../screenshots")
    parser.add_argument("--no-browser", action="store_true", help="static checks only")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").exists():
        print(f"{site}/index.html not found: build the book first (make book)")
        return 1
    docnames = toc_docnames(args.toc)
    shots = Path(args.screenshots) if args.screenshots else site.parent / "screenshots"
    checks = [
        ("offline", lambda: check_offline(site)),
        ("links", lambda: check_links(site)),
        ("api", lambda: check_api(site)),
        ("book", lambda: check_book(site, docnames)),
    ]
    if not args.no_browser:
        checks.append(("browser", lambda: check_pages_in_browser(site, docnames, shots)))
    passed = failed = 0
    for name, check in checks:
        print(f"check {name}")
        try:
            problems = check()
        except Exception as exc:  # a crashed check is a failed check, and the others still run
            problems = [f"the check crashed: {type(exc).__name__}: {exc}"]
        for p in problems:
            print(f"  FAIL {p}")
        print(f"  {name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        passed, failed = passed + (not problems), failed + bool(problems)
    if not args.no_browser:
        print(f"screenshots: {shots}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
