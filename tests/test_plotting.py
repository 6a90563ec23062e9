"""The course style and the animation helper of mlelib.plotting."""

import base64
import io
import re
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import mlelib.plotting
from mlelib import COLORS, animation_html, use_course_style

# Okabe & Ito (2008), "Color Universal Design": the published sRGB values of the palette.
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}

FRAME = re.compile(r'frames\[(\d+)\] = "data:image/png;base64,(.*?)"', re.S)


def frames_of(html):
    """The PNG frames embedded in the player, decoded (base64 lines end with a backslash)."""
    return [base64.b64decode(data.replace("\\\n", "")) for _, data in FRAME.findall(html)]


def small_animation(n=3, **kwargs):
    fig, ax = plt.subplots(figsize=(3, 2))
    x = np.linspace(0.0, 1.0, 30)
    (line,) = ax.plot(x, x)
    ax.set(xlabel="x", ylabel="y", ylim=(0, 1))
    calls = []

    def update(k):
        calls.append(k)
        line.set_ydata(x ** (k + 1))

    return fig, update, calls


def test_colors_keep_their_keys_and_are_colour_blind_safe():
    assert set(COLORS) == {"data", "mle", "truth", "model", "grey"}
    assert {v for k, v in COLORS.items() if k != "grey"} <= OKABE_ITO
    assert len(set(COLORS.values())) == len(COLORS)


def test_series_differ_in_line_style_as_well_as_colour():
    """Two lines drawn without style arguments differ in colour and in dash pattern."""
    with mpl.rc_context():
        use_course_style()
        cycle = mpl.rcParams["axes.prop_cycle"].by_key()
        assert set(cycle["color"]) <= OKABE_ITO and "#F0E442" not in cycle["color"]  # no yellow
        assert len(set(map(str, cycle["linestyle"]))) == len(cycle["linestyle"]) == len(cycle["color"])
        fig, ax = plt.subplots()
        a, b = ax.plot([0, 1], [0, 1]), ax.plot([0, 1], [1, 0])
        assert a[0].get_color() == COLORS["data"] and b[0].get_color() == COLORS["mle"]
        assert a[0].get_linestyle() != b[0].get_linestyle()
        (c,) = ax.plot([0, 1], [0, 0], color="k", linestyle="-")  # explicit arguments win
        assert c.get_linestyle() == "-"
        plt.close(fig)


def test_animation_holds_the_player_and_every_frame():
    fig, update, calls = small_animation()
    html = animation_html(fig, update, frames=[0, 1, 2], dpi=40).data
    assert '<div class="animation">' in html and 'type="range"' in html
    for title in ("Play", "Pause", "Next frame", "Previous frame"):
        assert f'title="{title}"' in html
    pngs = frames_of(html)
    assert len(pngs) == 3
    sizes = {Image.open(io.BytesIO(p)).size for p in pngs}
    assert sizes == {(120, 80)}  # 3 x 2 inches at 40 dpi, the same for every frame
    assert len(set(pngs)) == 3  # each frame drawn by its own update call
    assert calls[-3:] == [0, 1, 2]


def test_animation_needs_no_network():
    """matplotlib's player loads Font Awesome from a CDN; the helper's output loads nothing."""
    fig, update, _ = small_animation()
    html = animation_html(fig, update, frames=2, dpi=30).data
    assert "://" not in html and "font-awesome" not in html and '<i class="fa' not in html


def test_figure_is_closed():
    fig, update, _ = small_animation()
    animation_html(fig, update, frames=2, dpi=30)
    assert not plt.fignum_exists(fig.number)


def test_same_inputs_give_the_same_bytes():
    """matplotlib draws a random element id (uuid4) per call; the helper's id comes from the content."""
    outputs = []
    for _ in range(2):
        fig, update, _ = small_animation()
        outputs.append(animation_html(fig, update, frames=3, dpi=30).data)
    assert outputs[0] == outputs[1]
    fig, update, _ = small_animation()
    other = animation_html(fig, update, frames=4, dpi=30).data
    ids = [set(re.findall(r"_anim_img([0-9a-f]+)", h)) for h in (outputs[0], other)]
    assert len(ids[0]) == len(ids[1]) == 1 and ids[0] != ids[1]


def test_same_bytes_in_a_fresh_process():
    """What a re-executed notebook stores: the same HTML in another interpreter."""
    # plotting.py loaded on its own: importing the whole package (scipy, statsmodels) takes seconds
    code = (
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt, hashlib\n"
        "import importlib.util as u; s = u.spec_from_file_location('p', %r)\n"
        "m = u.module_from_spec(s); s.loader.exec_module(m); animation_html = m.animation_html\n"
        "fig, ax = plt.subplots(figsize=(2, 2)); (l,) = ax.plot([0, 1], [0, 1])\n"
        "h = animation_html(fig, lambda k: l.set_ydata([0, k]), frames=3, dpi=30).data\n"
        "print(hashlib.sha256(h.encode()).hexdigest())\n"
    ) % str(Path(mlelib.plotting.__file__))
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout for _ in range(2)}
    assert len(digests) == 1


def test_size_budget_is_enforced():
    fig, update, _ = small_animation()
    with pytest.raises(ValueError, match=r"max_bytes=20000: use fewer frames, a lower dpi"):
        animation_html(fig, update, frames=5, dpi=80, max_bytes=20_000)
    assert not plt.fignum_exists(fig.number)
    fig, update, _ = small_animation()
    html = animation_html(fig, update, frames=5, dpi=80, max_bytes=200_000).data
    assert 20_000 < len(html.encode()) <= 200_000


@pytest.mark.parametrize("kwargs, message", [
    ({"frames": 1}, "at least 2 frames"),
    ({"frames": [0]}, "at least 2 frames"),
    ({"frames": 3, "interval": 0}, "interval=0: must be positive"),
    ({"frames": 3, "dpi": -1}, "dpi=-1: must be positive"),
    ({"frames": 3, "default_mode": "bounce"}, "default_mode='bounce'"),
])
def test_bad_arguments_are_named(kwargs, message):
    fig, update, _ = small_animation()
    with pytest.raises(ValueError, match=re.escape(message)):
        animation_html(fig, update, **kwargs)
    plt.close(fig)


def test_not_a_figure_or_not_a_function():
    fig, update, _ = small_animation()
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        animation_html(fig.axes[0], update, frames=2)
    with pytest.raises(TypeError, match="update must be a function"):
        animation_html(fig, None, frames=2)
    with pytest.raises(TypeError, match="frames must be"):
        animation_html(fig, update, frames=2.5)
    plt.close(fig)


def test_frames_from_a_generator_and_numpy_integers():
    fig, update, calls = small_animation()
    html = animation_html(fig, update, frames=(k for k in range(3)), dpi=30).data
    assert len(frames_of(html)) == 3 and calls[-3:] == [0, 1, 2]
    fig, update, _ = small_animation()
    assert len(frames_of(animation_html(fig, update, frames=np.int64(2), dpi=30).data)) == 2
