"""The shipped model files, installed inside the package so that a wheel finds them.

Files here are data, not code: the beat classifier (``beat_classifier.onnx``, its ``.json`` sidecar and
the SVEB stage ``beat_classifier_sveb.onnx``), the AF model (``rhythm_af.json``) and the shockable-rhythm
detector (``vf_detector.json``). Their model cards and
the figures behind them live in ``models/`` at the repository root; training writes here
(see ``training/`` in the source checkout).

Examples
--------
>>> shipped_model_path("rhythm_af.json").name
'rhythm_af.json'
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["shipped_model_path"]


def shipped_model_path(name: str) -> Path:
    """Path of the shipped model file ``name`` inside the installed package.

    The package is installed as plain files (setuptools never zips it), so the resource is a real file
    that onnxruntime can open by name.

    Parameters
    ----------
    name : str
        File name, e.g. ``"beat_classifier.onnx"``.

    Returns
    -------
    pathlib.Path
        Where the file is (or would be: a missing file is reported by the loader that needs it).
    """
    return Path(str(files(__name__).joinpath(name)))
