"""One-off studies the model cards cite; run each with ``python -m training.scripts.NAME``."""
