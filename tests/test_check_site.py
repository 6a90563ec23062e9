"""The checks of tools/check_site.py flag what they claim to flag, on tiny hand-made sites.

The static checks run everywhere. The browser test of the animation players starts Chromium, so it
runs only when CHECK_SITE_BROWSER=1 (set by `make check-site`, which installs Debian's chromium
first and runs this file after checking the site; CI runs `make check-site`). The rest of the
browser part needs the built book: `make check-site` runs it.
"""

import importlib.util
import os
import re
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.animation import FuncAnimation

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


# ----------------------------------------------------------------------------------------------
# animations: pages holding real matplotlib players (FuncAnimation.to_jshtml), 3 frames each


def player(frames=3, raw=False):
    """A small animation's HTML: mlelib.animation_html's, or matplotlib's own to_jshtml (raw)."""
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    x = np.linspace(0.0, 1.0, 30)
    (line,) = ax.plot(x, x)
    ax.set(xlabel="x", ylabel="y", ylim=(0, 1))

    def update(k):
        line.set_ydata(x ** (k + 1))
        return [line]

    if not raw:
        return mlelib.animation_html(fig, update, frames=frames, dpi=40).data
    html = FuncAnimation(fig, update, frames=frames).to_jshtml()
    plt.close(fig)
    return html


def page(body):
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><main>{body}</main></body></html>"


def test_animations_are_found_and_measured(tmp_path):
    """Each player on a page is found with its frame count and its size (the helper's whole output)."""
    one, two = player(3), player(4)
    site = make_site(tmp_path, {"index.html": page("<p>no animation</p>"),
                                "ch.html": page(one + "<p>text</p>" + two)})
    anims = check_site.find_animations((site / "ch.html").read_text())
    assert [a["frames"] for a in anims] == [3, 4]
    for a, html in zip(anims, (one, two)):
        assert a["player"] and abs(a["bytes"] - len(html.encode())) < 50
    assert check_site.check_animations(site) == []
    problems = check_site.check_animations(site, limit=len(two.encode()) - 100)
    assert len(problems) == 1 and "ch.html: animation 2 is" in problems[0]


def test_frames_without_a_player_are_flagged(tmp_path):
    html = re.sub(r'<div class="animation">.*?</form>\s*</div>\s*</div>', "", player(), flags=re.S)
    site = make_site(tmp_path, {"index.html": page(html)})
    problems = check_site.check_animations(site)
    assert len(problems) == 1 and "no player" in problems[0]


def test_matplotlib_player_loads_icons_from_a_cdn(tmp_path):
    """matplotlib's own to_jshtml needs the network (Font Awesome); the offline check says so."""
    site = make_site(tmp_path, {"index.html": page(player(raw=True)), "ok.html": page(player())})
    problems = check_site.check_offline(site)
    assert len(problems) == 1 and problems[0].startswith("index.html") and "font-awesome" in problems[0]


@pytest.mark.skipif(not os.environ.get("CHECK_SITE_BROWSER"),
                    reason="starts Chromium (about 5-15 s): `make check-site` runs it (it sets "
                           "CHECK_SITE_BROWSER=1), as does CI")
@pytest.mark.skipif(check_site.find_chromium() is None,
                    reason="needs Debian's chromium (apt-get install chromium; make check-site installs it)")
def test_players_run_in_the_browser(tmp_path, capsys):
    """A working player passes; one without its script, one whose step button does nothing, and
    matplotlib's own player (which asks a CDN for its icons) fail, each with the right reason."""
    good = player()
    broken = {
        "noscript": re.sub(r"<script.*?</script>", "", good, flags=re.S),
        "nostep": good.replace("Animation.prototype.next_frame = function()",
                               "Animation.prototype.next_frame = function() {};\n"
                               "Animation.prototype.unused = function()"),
        "raw": player(raw=True),
    }
    assert broken["nostep"] != good and "<script" not in broken["noscript"]
    pages = {"good.html": page(good), "two.html": page(good + "<p>and</p>" + player(4))}
    pages.update({f"{name}.html": page(html) for name, html in broken.items()})
    site = make_site(tmp_path, pages)
    shots = tmp_path / "shots"
    start = time.monotonic()
    problems = check_site.check_pages_in_browser(site, ["good", "two", *broken], shots, search=False)
    seconds = time.monotonic() - start
    by_page = {name: [p for p in problems if p.startswith(f"{name}.html")] for name in ["good", "two", *broken]}
    assert by_page["good"] == [] and by_page["two"] == [], problems
    assert any("has no player object" in p for p in by_page["noscript"]), problems
    assert any("Next frame did not change" in p for p in by_page["nostep"]), problems
    assert not any("Play did not change" in p for p in by_page["nostep"]), problems
    assert by_page["raw"] == ["raw.html (browser): requested https://maxcdn.bootstrapcdn.com/font-awesome/"
                              "4.4.0/css/font-awesome.min.css (not on this site: the page needs the network)"]
    out = capsys.readouterr().out
    assert "good: 0 math, 0 images, 0 solutions, 1 animation(s) played (3 frames)" in out
    assert "2 animation(s) played (3 frames, 4 frames)" in out
    first, second = (shots / "good-anim1-a.png").read_bytes(), (shots / "good-anim1-b.png").read_bytes()
    assert first != second  # the screenshots after Next frame show another frame
    print(f"browser test: {seconds:.1f} s")
