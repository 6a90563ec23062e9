"""One plotting style for every chapter, so figures look alike on the website."""

import matplotlib as mpl

__all__ = ["use_course_style", "COLORS"]

#: Colours used with one meaning throughout the book.
COLORS = {"data": "#4c72b0", "mle": "#c44e52", "truth": "#55a868", "model": "#8172b2", "grey": "#7f7f7f"}


def use_course_style():
    """Set matplotlib defaults for the course: readable fonts, light grid, white background.

    The white figure background keeps figures legible when the website is read in dark mode.

    Examples
    --------
    >>> use_course_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["figure.facecolor"]
    'white'
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
            "font.size": 11,
            "axes.titlesize": 12,
            "legend.frameon": False,
        }
    )
