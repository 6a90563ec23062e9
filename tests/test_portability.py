"""tools/portability.py catches a cell whose printed digits depend on the BLAS kernel, and passes a stable one.

The fixture notebook is executed here with the default settings (storing its outputs, as `make execute`
does), then checked under one other setting: the cell that prints a matrix product to 17 significant
digits must be reported by name with both texts; the cell that prints the assert's verdict must not.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "portability.py"
spec = importlib.util.spec_from_file_location("portability", TOOL)
portability = importlib.util.module_from_spec(spec)
spec.loader.exec_module(portability)

SETUP = "import numpy as np\nrng = np.random.default_rng(1)\nA = rng.standard_normal((200, 200))"
FRAGILE = "print(f'{(A @ A)[3, 5]:.17g}')"
STABLE = "gap = abs((A @ A)[3, 5] - A[3] @ A[:, 5])\nassert gap < 1e-12\nprint(f'gap < 1e-12: {gap < 1e-12}')"


def executed_notebook(tmp_path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "fixture.ipynb"
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    str(path)], check=True, capture_output=True)
    return path


def test_fragile_cell_is_reported_by_name(tmp_path, capsys):
    """A BLAS product printed to its last digits differs under OpenBLAS' Sandybridge kernel on one thread."""
    path = executed_notebook(tmp_path, [SETUP, STABLE, FRAGILE])
    status = portability.main([str(path), "--settings", "sandybridge-1thread", "--skip-probe"])
    out = capsys.readouterr().out
    assert status == 1
    assert "1 cell(s) differ" in out
    assert "fixture.ipynb::Cell 2 [sandybridge-1thread]" in out  # the fragile cell, by its index
    assert "Cell 1 [" not in out  # the stable one passes
    stored = nbformat.read(path, as_version=4).cells[2].outputs[0]["text"].strip()
    assert stored in out  # both texts are shown
    assert "portability check FAILED" in out


def test_stable_notebook_passes(tmp_path, capsys):
    """Without the fragile cell the same check passes, and the probe found the settings effective."""
    path = executed_notebook(tmp_path, [SETUP, STABLE])
    status = portability.main([str(path), "--settings", "sandybridge-1thread"])
    out = capsys.readouterr().out
    assert "changes NOTHING" not in out
    assert status == 0, out
    assert "portability check passed" in out
