"""Training, cross-validation and research for cardiowatch's models; not part of the runtime wheel.

Run from the repository root, e.g. ``python -m training.beats_train`` or ``python -m training.rhythm_cv --v5``.
It imports the runtime (`cardiowatch`) and `cardiowatch.evaluate`; the runtime never imports it.

- `training.beats_train`: the beat classifier (LightGBM -> ONNX) and the leaky-split protocol.
- `training.rhythm_train`: the AF model (random forest -> JSON and the C header).
- `training.rhythm_cv`: record-grouped cross-validation of the AF tracker's settings.
- ``training/scripts/``: one-off studies the model cards cite.
- ``training/results/``: the stored results behind each decision.
"""
