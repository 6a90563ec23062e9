"""The docstrings of mlelib are documentation the website shows (api.md): their examples must run.

Modules are discovered at test time (every module of the package, private ones included), so a
module added later is covered without editing this file. Each module's examples run as doctests in
a copy of that module's namespace; whitespace is normalised (numpy pads array output), nothing else.
"""

import doctest
import importlib
import inspect
import pkgutil
import re

import pytest

import mlelib

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(mlelib.__path__, prefix="mlelib.")
) + ["mlelib"]


@pytest.mark.parametrize("modname", MODULES)
def test_docstring_examples_run(modname):
    """Every `>>>` example in the module's docstrings prints what the docstring says."""
    module = importlib.import_module(modname)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, modname) if t.examples]
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} doctest examples in {modname} failed (see above)"
    )


def _public_callables():
    out = []
    for name in mlelib.__all__:
        obj = getattr(mlelib, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            out.append(name)
    return out


@pytest.mark.parametrize("name", _public_callables())
def test_public_name_is_documented(name):
    """Each public function has a numpy-style docstring with Parameters, Returns and Examples.

    (Parameters only if it takes any, Returns only if it returns a value.) Exception classes need
    only a docstring; other classes need Parameters or Attributes. The API page shows these.
    """
    obj = getattr(mlelib, name)
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"mlelib.{name} has no docstring"
    sections = set(re.findall(r"^(\w[\w ]*)\n-{3,}$", doc, flags=re.M))
    if inspect.isclass(obj):
        if not issubclass(obj, Exception):
            assert sections & {"Parameters", "Attributes"}, (
                f"mlelib.{name}: no Parameters or Attributes section"
            )
        return
    params = [
        p for p in inspect.signature(obj).parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    missing = [s for s in ("Parameters", "Returns", "Examples") if s not in sections]
    if not params and "Parameters" in missing:
        missing.remove("Parameters")
    returns_value = re.search(r"^\s+(return|yield)\s+[^\s#]", inspect.getsource(obj), flags=re.M)
    if not returns_value and "Returns" in missing:  # a function run for its effect returns None
        missing.remove("Returns")
    assert not missing, f"mlelib.{name}: docstring lacks the section(s) {', '.join(missing)}"
