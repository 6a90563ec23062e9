"""One plotting style for every chapter, so figures look alike on the website, and animations that
play in the page without a kernel or the network."""

import hashlib
import numbers
import re
from collections.abc import Iterable, Sized

import matplotlib as mpl
from cycler import cycler

__all__ = ["use_course_style", "COLORS", "animation_html"]

#: Colours used with one meaning throughout the book: Okabe and Ito's colour-blind-safe palette
#: (blue, vermillion, bluish green, reddish purple) and a neutral grey.
COLORS = {"data": "#0072B2", "mle": "#D55E00", "truth": "#009E73", "model": "#CC79A7", "grey": "#7f7f7f"}

# Okabe-Ito order for the default series colours (yellow left out: it is unreadable on white),
# each paired with its own line style so that series stay apart in grey-scale print and for readers
# who cannot tell the colours apart.
_CYCLE_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
_CYCLE_STYLES = ["-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 3))]


def use_course_style():
    """Set matplotlib defaults for the course: readable fonts, light grid, white background.

    The white figure background keeps figures legible when the website is read in dark mode.
    Successive lines of one axes get Okabe and Ito's colour-blind-safe colours, each with its own
    line style (solid, dashed, dotted, dash-dot, ...), so that series can be told apart without
    colour; a colour or line style passed to a plotting call still wins.

    Examples
    --------
    >>> use_course_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["figure.facecolor"]
    'white'
    >>> cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    >>> cycle["color"][:2], cycle["linestyle"][:2]
    (['#0072B2', '#D55E00'], ['-', '--'])
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=_CYCLE_COLORS, linestyle=_CYCLE_STYLES),
            "image.cmap": "viridis",
            "font.size": 11,
            "axes.titlesize": 12,
            "legend.frameon": False,
        }
    )


# The player's buttons use Font Awesome icons loaded from a CDN; the site must not load anything
# from another host, so the icons are replaced by plain characters (titles and aria-labels stay).
# U+FE0E asks for the text form of the triangles, not an emoji.
_ICONS = {
    "fa-minus": "\u2212",
    "fa-fast-backward": "\u21e4",
    "fa-step-backward": "\u2039",
    "fa-play fa-flip-horizontal": "\u25c0\ufe0e",
    "fa-pause": "\u275a\u275a",
    "fa-play": "\u25b6\ufe0e",
    "fa-step-forward": "\u203a",
    "fa-fast-forward": "\u21e5",
    "fa-plus": "+",
}
_CDN_LINK = re.compile(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">\s*')
_ICON = re.compile(r'<i class="fa ([a-z -]+)"></i>')
_PLAYER_ID = re.compile(r'_anim_img([0-9a-f]{32})"')


def animation_html(fig, update, frames, *, interval=200, dpi=80, default_mode="loop",
                   max_bytes=1_500_000):
    """An animation of a matplotlib figure as a self-contained HTML player for a notebook cell.

    Each frame is drawn by ``update(frame)`` and stored in the page as a PNG image, with
    matplotlib's JavaScript player (play, pause, step, a frame slider): the website plays it
    without a kernel and without the network. The figure is closed, so the cell shows only the
    player, not also a still.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to animate; its size (``figsize``) and ``dpi`` set the frame size in pixels.
    update : callable
        ``update(frame)`` changes the artists of ``fig`` for one frame (its return value is
        ignored). It is also called once with the first frame before recording starts.
    frames : int or sequence
        The frames: ``n`` means ``0, 1, ..., n - 1``; a sequence (or other finite iterable) gives
        the values passed to ``update``. At least 2.
    interval : float, optional
        Milliseconds between frames when playing (default 200).
    dpi : float, optional
        Resolution of the stored frames (default 80: a 6.4 x 4 inch figure gives 512 x 320
        pixel frames).
    default_mode : {'loop', 'once', 'reflect'}, optional
        What the player does at the last frame; the reader can change it.
    max_bytes : int, optional
        Size budget of the HTML in bytes (default 1.5 MB, the book's budget per animation).

    Returns
    -------
    IPython.display.HTML
        The player; its ``data`` attribute is the HTML text. The same inputs give the same bytes
        (the player's element ids are derived from the frames, not drawn at random).

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib figure, ``update`` is not callable or ``frames`` is
        neither a number nor an iterable.
    ValueError
        If there are fewer than 2 frames, ``interval``, ``dpi`` or ``max_bytes`` is not positive,
        ``default_mode`` is not one of the three modes, or the HTML is larger than ``max_bytes``
        (then use fewer frames, a lower ``dpi`` or a smaller figure).

    Notes
    -----
    The HTML is matplotlib's ``FuncAnimation.to_jshtml()`` with three changes: the
    Font Awesome style sheet that it loads from a CDN is removed and the button icons are plain
    characters; the random element id is replaced by a hash of the content, so that re-executing
    a notebook stores the same output; and frames are saved at ``dpi`` with the figure's full
    extent (no tight bounding box, so every frame has the same size). Give the figure
    ``layout="constrained"`` so that labels fit. In a chapter, start the cell with
    ``# NBVAL_IGNORE_OUTPUT``: the output is images, not text to compare, and nbval still fails
    the cell if it raises.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(3, 2))
    >>> x = np.linspace(0, 1, 50)
    >>> (line,) = ax.plot(x, x)
    >>> def update(k):
    ...     line.set_ydata(x ** (k + 1))
    >>> player = animation_html(fig, update, frames=3, dpi=40)
    >>> 'class="animation"' in player.data, player.data.count('] = "data:image/png')
    (True, 3)
    >>> plt.fignum_exists(fig.number)  # closed: no still below the player
    False
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not callable(update):
        raise TypeError(f"update must be a function update(frame), got {type(update).__name__}")
    if isinstance(frames, numbers.Integral):
        frames = int(frames)
        n_frames = frames
    elif isinstance(frames, Iterable):
        if not isinstance(frames, Sized):
            frames = list(frames)
        n_frames = len(frames)
    else:
        raise TypeError(f"frames must be a number of frames or a sequence, got {frames!r}")
    if n_frames < 2:
        raise ValueError(f"frames={frames!r}: an animation needs at least 2 frames")
    for name, value in (("interval", interval), ("dpi", dpi), ("max_bytes", max_bytes)):
        if not value > 0:
            raise ValueError(f"{name}={value!r}: must be positive")
    if default_mode not in ("loop", "once", "reflect"):
        raise ValueError(f"default_mode={default_mode!r}: must be 'loop', 'once' or 'reflect'")

    def draw(frame):
        update(frame)
        return []

    # matplotlib drops the frames past its embed limit (with a log message, not an error): set it
    # above the budget, so an animation that is too large is reported below instead.
    limit_mb = 2 * max_bytes / 2**20 + 1
    rc = {"savefig.dpi": dpi, "savefig.bbox": None, "animation.frame_format": "png",
          "animation.embed_limit": limit_mb}
    try:
        with mpl.rc_context(rc):
            anim = FuncAnimation(fig, draw, frames=frames, interval=interval, repeat=True,
                                 cache_frame_data=False)
            html = anim.to_jshtml(default_mode=default_mode)
    finally:
        plt.close(fig)

    html = _CDN_LINK.sub("", html, count=1)
    html = _ICON.sub(lambda m: _ICONS.get(m.group(1), m.group(1)), html)
    ids = set(_PLAYER_ID.findall(html))
    if len(ids) != 1:  # pragma: no cover - matplotlib changed its template
        raise RuntimeError(f"could not find the player's id in matplotlib's HTML (found {ids})")
    random_id = ids.pop()
    stable_id = hashlib.sha256(html.replace(random_id, "").encode()).hexdigest()[:32]
    html = html.replace(random_id, stable_id)

    size = len(html.encode())
    if size > max_bytes:
        raise ValueError(
            f"the animation is {size / 1e6:.2f} MB ({n_frames} frames at dpi={dpi}), more than "
            f"max_bytes={max_bytes}: use fewer frames, a lower dpi or a smaller figure"
        )
    return HTML(html)
