"""Check the built website (_build/html) the way a reader uses it: offline, in a real browser.

Run after `make book` (or `make book-strict`):  .venv/bin/python tools/check_site.py [_build/html]
`make check-site` does exactly that. Every check runs; the exit status is 1 if any failed.

Static checks (stdlib HTML parser, every .html page of the site):
  offline     no page loads a script, style sheet, font, image or frame from another host;
  links       every internal link and #anchor resolves to a file and an id that exist, and no
              cross-reference was left unresolved (Sphinx shows those as plain text);
  api         the API page documents every name in ``mlelib.__all__``;
  book        every toc page exists, chapter notebooks have an .ipynb download link and link to the
              API entry of at least one mlelib name, and every exercise solution is collapsed;
  animations  every animation (matplotlib's FuncAnimation.to_jshtml player, as made by
              mlelib.animation_html) has its player and at most 1.5 MB in the page; the size of
              each page with an animation, and of each animation, is printed.
Browser checks (headless Debian Chromium driven by Playwright, site served on 127.0.0.1, every
request to another address aborted and reported), for each page in _toc.yml:
  MathJax typeset the math (mjx-container elements, no mjx-merror, no raw $$, \\frac, \\( left in
  the visible text), every image loaded with a non-zero natural size, no JavaScript error, no
  request left the local server, solutions start collapsed; every animation shows a frame, and
  the frame shown changes after pressing Next frame and after pressing Play; the offline search
  finds a chapter.
  A PNG of the first screen of each page goes to _build/screenshots/ (a second one, *-dark.png,
  shows the first figure in dark mode; <page>-anim<i>-a.png and -b.png show each animation at its
  first frame and after Next frame).
"""

import argparse
import contextlib
import functools
import http.server
import re
import shutil
import socketserver
import sys
import threading
import urllib.parse
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

# Shared by every matplotlib player (FuncAnimation.to_jshtml): the id of its <img>, and the script that
# holds its frames. The id is the same in both (`_anim_img<ID>`; the player object is `anim<ID>`).
ANIM_SCRIPT = re.compile(r'var img_id = "_anim_img(\w+)";')
ANIM_FRAME = re.compile(r'frames\[\d+\] = "')
ANIM_LIMIT = 1_500_000  # bytes per animation in the page (mlelib.animation_html's default budget)


def find_animations(text):
    """The matplotlib players in an HTML text: id, size in bytes (class script, player, frames), frames.

    One player is the text that `FuncAnimation.to_jshtml()` wrote: from the script that defines
    the Animation class (or, if another player on the page shares it, the player's <div>) to the
    end of the script that holds the frames.
    """
    found = []
    for m in ANIM_SCRIPT.finditer(text):
        anim_id = m.group(1)
        img = text.rfind(f'id="_anim_img{anim_id}"', 0, m.start())
        div = text.rfind('<div class="animation">', 0, img) if img >= 0 else -1
        start = div if div >= 0 else text.rfind("<script", 0, m.start())
        cls = text.rfind("function isInternetExplorer()", 0, start)
        if cls >= 0 and cls >= (found[-1]["end"] if found else 0):
            start = text.rfind("<script", 0, cls)
        end = text.find("</script>", m.end())
        end = len(text) if end < 0 else end + len("</script>")
        chunk = text[start:end]
        found.append({"id": anim_id, "bytes": len(chunk.encode()), "end": end,
                      "frames": len(ANIM_FRAME.findall(text, m.end(), end)), "player": div >= 0})
    return found


def check_animations(site, limit=ANIM_LIMIT):
    """Every animation is within the size budget and has its player; reports page and animation sizes."""
    problems = []
    n_pages = 0
    for path in html_pages(site):
        text = path.read_text(encoding="utf-8", errors="replace")
        anims = find_animations(text)
        if not anims:
            continue
        n_pages += 1
        rel = path.relative_to(site)
        sizes = ", ".join(f"{a['bytes'] / 1e6:.2f} MB ({a['frames']} frames)" for a in anims)
        print(f"  {rel}: page {len(text.encode()) / 1e6:.2f} MB; {len(anims)} animation(s): {sizes}")
        for i, a in enumerate(anims, 1):
            if a["bytes"] > limit:
                problems.append(f"{rel}: animation {i} is {a['bytes'] / 1e6:.2f} MB, more than "
                                f"{limit / 1e6:.2f} MB: use fewer frames or a lower dpi")
            if not a["player"]:
                problems.append(f"{rel}: animation {i} has frames but no player (<div class=\"animation\">)")
            if a["frames"] < 2:
                problems.append(f"{rel}: animation {i} has {a['frames']} frame(s)")
    if not n_pages:
        print("  no page has an animation")
    return problems


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(site):
    """Serve the directory `site` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(Quiet, directory=str(site))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-dev-shm-usage", "--disable-extensions",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--no-pings", "--mute-audio", "--hide-scrollbars",
    # A second lock besides page.route: every host name except the local server fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


# console.error calls of the theme that are not faults of the book. pydata-sphinx-theme's page head sets
# <html data-mode> from localStorage, or to "" when the reader never chose a mode and no default_mode
# is configured; its script then logs this and uses "auto" (follow the system), which is what we want.
KNOWN_CONSOLE_ERRORS = [re.compile(r"Got invalid theme mode: \. Resetting to auto\.")]


class Browser:
    """Headless Chromium (Debian's, not Playwright's download) with one tab, driven by Playwright.

    Every request that does not go to `base` (the local server) is aborted and recorded; JavaScript
    errors, console errors, failed requests and HTTP errors are recorded too. `open` starts a new
    record; `problems()` returns it as sentences.
    """

    def __init__(self, exe, base, width=1280, height=900):
        from playwright.sync_api import sync_playwright

        self.base = base
        self.events = []
        self._pw = sync_playwright().start()
        try:
            self.browser = self._pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS,
                                                    headless=True, timeout=60_000)
            context = self.browser.new_context(viewport={"width": width, "height": height},
                                               device_scale_factor=1, service_workers="block")
            self.page = context.new_page()
        except Exception:
            self._pw.stop()
            raise
        self.page.set_default_timeout(60_000)
        self.page.route("**/*", self._route)
        self.page.on("pageerror", self._on_pageerror)
        self.page.on("console", self._on_console)
        self.page.on("requestfailed", self._on_requestfailed)
        self.page.on("response", self._on_response)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base):
            route.continue_()
        else:
            self.events.append(f"requested {url} (not on this site: the page needs the network)")
            route.abort("blockedbyclient")

    def _on_pageerror(self, error):
        text = (getattr(error, "stack", None) or error.message or str(error)).strip()
        self.events.append("JavaScript error: " + (text.splitlines() or ["?"])[0])

    def _on_console(self, msg):
        # "Failed to load resource" repeats what requestfailed / response already recorded.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            if not any(known.fullmatch(msg.text) for known in KNOWN_CONSOLE_ERRORS):
                self.events.append(f"console error: {msg.text}")

    def _on_requestfailed(self, request):
        error = request.failure or ""
        if not request.url.startswith(self.base) or "ERR_ABORTED" in error:
            return  # off-site: recorded by _route; aborted: navigation away, not a failure
        self.events.append(f"a request failed: {error} ({request.resource_type}: {request.url})")

    def _on_response(self, response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.events.append(f"HTTP {response.status} for {response.url}")

    def open(self, url):
        self.events = []
        self.page.goto(url, wait_until="load")

    def problems(self):
        return list(dict.fromkeys(self.events))

    def js(self, function, arg=None):
        """Run a JavaScript function (source text) in the page; its (awaited) result, as JSON."""
        return self.page.evaluate(function, arg)

    def screenshot(self, path):
        self.page.screenshot(path=str(path))

    def close(self):
        try:
            self.browser.close()
        finally:
            self._pw.stop()


# Runs in the page after load: waits for MathJax and the images, then reports what a reader sees.
# (Images of animation players are checked by check_animations_in_browser, which waits for them.)
PAGE_REPORT_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
    if (MathJax.typesetPromise) { await MathJax.typesetPromise(); }
  }
  const imgs = Array.from(document.querySelectorAll('article img, main img'))
      .filter(img => !img.closest('div.animation'));
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
    animations: document.querySelectorAll('div.animation').length,
  };
}
"""

RAW_TEX = [
    (re.compile(r"\$\$"), "$$"),
    (re.compile(r"\\(frac|begin|end|sum|prod|hat|theta|ell|mathrm|left|right)\b"), "a TeX command"),
    (re.compile(r"\\[\(\)\[\]]"), "a \\( \\) or \\[ \\] delimiter"),
    (re.compile(r"(?<![\w$])\$[^$\s][^$\n]{0,80}?[\\^_{][^$\n]{0,80}?\$"), "inline $...$ math"),
]


def check_pages_in_browser(site, docnames, shots_dir, search=True):
    exe = find_chromium()
    if exe is None:
        return ["chromium is not installed (Debian: apt-get install chromium); browser checks not run"]
    problems = []
    shots_dir.mkdir(parents=True, exist_ok=True)
    with serve(site) as base:
        browser = Browser(exe, base)
        try:
            for doc in docnames:
                problems += check_one_page(browser, site, doc, shots_dir)
            if search:
                problems += check_search(browser)
        finally:
            browser.close()
    return problems


def check_one_page(browser, site, doc, shots_dir):
    url = browser.base + urllib.parse.quote(f"{doc}.html")
    name = doc.replace("/", "__")
    browser.open(url)
    report = browser.js(PAGE_REPORT_JS)
    browser.js("() => window.scrollTo(0, 0)")
    browser.screenshot(shots_dir / f"{name}.png")
    problems = []
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
    path = site / f"{doc}.html"
    expected = len(find_animations(path.read_text(encoding="utf-8", errors="replace"))) if path.exists() else 0
    if report["animations"] != expected:
        problems.append(f"the HTML holds {expected} animation(s), the page shows {report['animations']}")
    anim_notes = check_animations_in_browser(browser, name, shots_dir, problems)
    if report["images"]:
        # Dark mode: the first figure, as a reader with a dark theme sees it.
        browser.js("() => { document.documentElement.dataset.theme = 'dark';"
                   "document.querySelector('article img, main img').scrollIntoView({block: 'center'}); }")
        browser.page.wait_for_timeout(300)
        browser.screenshot(shots_dir / f"{name}-dark.png")
    problems = browser.problems() + problems
    summary = (f"{report['mjx']} math, {len(report['images'])} images, "
               f"{report['solutions']} solutions" + anim_notes)
    print(f"  {doc}: {summary}" + (f", {len(problems)} problem(s)" if problems else ""))
    return [f"{doc}.html (browser): {p}" for p in problems]


# For one player (by the id of its <img>): the frame shown now, and whether it differs from the one
# remembered by `remember`. Comparing in the page avoids sending the data: URLs back and forth.
FRAME_SHOWN_JS = """id => { const img = document.getElementById(id);
  return !!(img && img.src.startsWith('data:image') && img.complete && img.naturalWidth > 0); }"""
PLAYER_MADE_JS = "id => !!window['anim' + id.replace('_anim_img', '')]"
REMEMBER_JS = """id => { (window.__checkSiteFrames = window.__checkSiteFrames || {})[id] =
  document.getElementById(id).src; }"""
FRAME_CHANGED_JS = "id => document.getElementById(id).src !== window.__checkSiteFrames[id]"
FRAME_SAME_JS = "id => document.getElementById(id).src === window.__checkSiteFrames[id]"
PLAYER_JS = """id => { const a = window['anim' + id.replace('_anim_img', '')];
  const slider = document.getElementById(id.replace('_anim_img', '_anim_slider'));
  return {frames: a && a.frames ? a.frames.length : null, interval: a ? a.interval : null,
          sliderMax: slider ? Number(slider.max) : null}; }"""


def check_animations_in_browser(browser, name, shots_dir, problems):
    """Each matplotlib player on the open page shows a frame; Next frame and Play change it.

    Appends problems to `problems`; returns a note for the page summary. Screenshots of each player
    at its first frame and after Next frame go to shots_dir (<page>-anim<i>-a.png, -b.png).
    """
    page = browser.page
    players = page.locator("div.animation")
    notes = []
    for i in range(players.count()):
        player = players.nth(i)
        tag = f"animation {i + 1}"
        img_id = player.locator("img").first.get_attribute("id") if player.locator("img").count() else None
        if not img_id:
            problems.append(f"{tag}: the player has no <img> with an id")
            continue

        def wait(condition, what, timeout=10_000):
            try:
                page.wait_for_function(condition, arg=img_id, timeout=timeout)
                return True
            except Exception:  # playwright's TimeoutError
                problems.append(f"{tag}: {what}")
                return False

        def press(title):
            try:
                player.locator(f'button[title="{title}"]').click(timeout=5_000)
                return True
            except Exception as exc:
                problems.append(f"{tag}: could not press {title}: {str(exc).splitlines()[0]}")
                return False

        # The player object is made by a setTimeout(..., 0) in its script, long done at the load event.
        if not (wait(PLAYER_MADE_JS, "has no player object (its script is missing or failed)",
                     timeout=2_000)
                and wait(FRAME_SHOWN_JS, "shows no frame")):
            continue
        info = browser.js(PLAYER_JS, img_id)
        if not info["frames"] or info["frames"] < 2:
            problems.append(f"{tag}: the player has {info['frames']} frame(s)")
            continue
        if info["sliderMax"] != info["frames"] - 1:
            problems.append(f"{tag}: the slider goes to {info['sliderMax']}, not to the last "
                            f"frame {info['frames'] - 1}")
        player.scroll_into_view_if_needed()
        browser.js(REMEMBER_JS, img_id)
        player.screenshot(path=str(shots_dir / f"{name}-anim{i + 1}-a.png"))
        # A button changes the image at once (set_frame, in the click handler): 2 s is ample.
        ok = press("Next frame") and wait(FRAME_CHANGED_JS, "pressing Next frame did not change "
                                                            "the frame shown", timeout=2_000)
        if ok:
            player.screenshot(path=str(shots_dir / f"{name}-anim{i + 1}-b.png"))
        if press("First frame"):
            wait(FRAME_SAME_JS, "pressing First frame did not go back to the first frame", timeout=2_000)
        playing = 3 * (info["interval"] or 1000) + 5_000
        if press("Play"):
            wait(FRAME_CHANGED_JS, "pressing Play did not change the frame shown", timeout=playing)
            press("Pause")
        notes.append(f"{info['frames']} frames")
    return f", {len(notes)} animation(s) played ({', '.join(notes)})" if notes else ""


def check_search(browser):
    """The offline search (searchindex.js, no server code) finds the first chapter's title word."""
    browser.open(browser.base + "search.html?q=likelihood")
    found = browser.js("""
      () => new Promise(done => {
        const t0 = Date.now();
        (function poll() {
          const summary = document.querySelector('#search-results .search-summary');
          const finished = summary && summary.textContent.trim() && !/searching|preparing/i.test(summary.textContent);
          if (finished || Date.now() - t0 > 15000) {
            done(document.querySelectorAll('#search-results ul.search li').length);
          } else { setTimeout(poll, 100); }
        })();
      })""")
    problems = [f"search.html (browser): {p}" for p in browser.problems()]
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
        ("animations", lambda: check_animations(site)),
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
