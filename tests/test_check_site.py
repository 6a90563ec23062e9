"""The static checks of tools/check_site.py flag what they claim to flag, on tiny hand-made sites.

(The browser part needs the built book and Chromium; `make check-site` runs it.)
"""

import importlib.util
from pathlib import Path

import pytest

import mlelib

TOOL = Path(__file__).resolve().parent.parent / "tools" / "check_site.py"
spec = importlib.util.spec_from_file_location("check_site", TOOL)
check_site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_site)


def make_site(tmp_path, pages):
    site = tmp_path / "html"
    for name, body in pages.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    check_site.parse.cache_clear()
    return site


def test_links_resolve(tmp_path):
    """Links to an existing file and an existing id (here or in another page) are fine."""
    site = make_site(tmp_path, {
        "index.html": '<a href="ch/a.html#eq-1">a</a> <a href="#top">top</a> <p id="top"></p>'
                      '<a href="https://doi.org/10.1/x">doi</a> <a href="mailto:x@y">m</a>',
        "ch/a.html": '<span id="eq-1"></span><a href="../index.html">home</a>',
    })
    assert check_site.check_links(site) == []


@pytest.mark.parametrize("href, what", [
    ("missing.html", "missing file"),
    ("ch/a.html#nope", "missing anchor #nope"),
    ("#nope", "missing anchor #nope"),
])
def test_broken_links_are_flagged(tmp_path, href, what):
    """A link to a file that does not exist, or to an id that no element has, is a problem."""
    site = make_site(tmp_path, {"index.html": f'<a href="{href}">x</a>', "ch/a.html": '<p id="x"></p>'})
    problems = check_site.check_links(site)
    assert len(problems) == 1 and what in problems[0]


def test_unresolved_cross_reference_is_flagged(tmp_path):
    """Sphinx renders a reference it could not resolve as a span with class xref outside any <a>."""
    site = make_site(tmp_path, {"index.html": (
        '<p>see <span class="xref std std-ref">ch-fisher</span></p>'
        '<a href="#f"><span class="xref std std-ref">resolved</span></a><p id="f"></p>'
    )})
    problems = check_site.check_links(site)
    assert len(problems) == 1 and "'ch-fisher'" in problems[0]


@pytest.mark.parametrize("html", [
    '<script src="https://unpkg.com/thebe@0.8.2/lib/index.js"></script>',
    '<link rel="stylesheet" href="//fonts.example.org/a.css">',
    '<img src="http://example.org/fig.png">',
    '<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>',
    '<style>@import "https://example.org/x.css";</style>',
    '<div style="background: url(https://example.org/bg.png)"></div>',
])
def test_remote_resources_are_flagged(tmp_path, html):
    """Anything the browser would fetch from another host to render the page is a problem."""
    site = make_site(tmp_path, {"index.html": html})
    assert len(check_site.check_offline(site)) == 1


def test_remote_url_inside_local_stylesheet_is_flagged(tmp_path):
    """A local style sheet that pulls a font from a CDN makes the page depend on the network."""
    site = make_site(tmp_path, {
        "index.html": '<link rel="stylesheet" href="_static/s.css?v=1">',
        "_static/s.css": '@font-face { src: url("https://cdn.example.org/f.woff2"); }',
    })
    problems = check_site.check_offline(site)
    assert len(problems) == 1 and "cdn.example.org" in problems[0]


def test_local_resources_and_hyperlinks_are_offline(tmp_path):
    """Local scripts, styles and images, and plain hyperlinks to other sites, need no network."""
    site = make_site(tmp_path, {"index.html": (
        '<script src="_static/a.js"></script><link rel="stylesheet" href="_static/s.css">'
        '<img src="_images/f.png"><a href="https://doi.org/10.1/x">doi</a>'
        '<link rel="canonical" href="https://example.org/">'
    ), "_static/s.css": "body { color: black; }"})
    assert check_site.check_offline(site) == []


def test_open_solution_is_flagged(tmp_path):
    """A solution without the dropdown class is shown expanded: the book check reports it."""
    site = make_site(tmp_path, {
        "index.html": "",
        "ch.html": '<div class="solution admonition" id="sol-1"></div>'
                   '<div class="solution dropdown admonition" id="sol-2"></div>',
    })
    problems = check_site.check_book(site, ["index", "ch", "missing"])
    assert any("sol-1" in p for p in problems) and not any("sol-2" in p for p in problems)
    assert any("missing" in p and "not built" in p for p in problems)


def test_toc_docnames_in_order(tmp_path):
    """Pages come from _toc.yml (root first, parts and nested sections included, suffix dropped)."""
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Chapters\n    chapters:\n"
        "      - file: chapters/01_likelihood\n        sections:\n          - file: chapters/extra.md\n"
        "  - caption: Reference\n    chapters:\n      - file: api\n"
    )
    assert check_site.toc_docnames(toc) == ["intro", "chapters/01_likelihood", "chapters/extra", "api"]


def test_api_page_must_list_every_public_name(tmp_path):
    """The API check passes when every name of mlelib.__all__ has an entry, and names the one missing."""
    entries = "".join(f'<dt id="mlelib.{name}"></dt>' for name in mlelib.__all__)
    site = make_site(tmp_path, {"index.html": "", "api.html": entries})
    assert check_site.check_api(site) == []
    forgotten = mlelib.__all__[-1]
    site = make_site(tmp_path, {"api.html": entries.replace(f'"mlelib.{forgotten}"', '"x"')})
    problems = check_site.check_api(site)
    assert len(problems) == 1 and f"mlelib.{forgotten} " in problems[0]


def test_chapter_without_a_link_to_the_api_page_is_flagged(tmp_path, monkeypatch):
    """A chapter page must link to the API entry of some mlelib name; other pages need not."""
    root = tmp_path / "repo"
    (root / "chapters").mkdir(parents=True)
    for name in ("01_a", "02_b"):
        (root / "chapters" / f"{name}.ipynb").write_text("{}")
    monkeypatch.setattr(check_site, "ROOT", root)
    download = '<a href="../_sources/x.ipynb">download</a>'
    site = make_site(tmp_path, {
        "intro.html": "",
        "chapters/01_a.html": download + '<a href="../api.html#mlelib.fit">fit</a>',
        "chapters/02_b.html": download,
    })
    problems = check_site.check_book(site, ["intro", "chapters/01_a", "chapters/02_b"])
    assert len(problems) == 1 and "chapters/02_b.html" in problems[0] and "API page" in problems[0]
