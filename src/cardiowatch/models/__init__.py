"""Models shipped with the runtime, read with ``importlib.resources.files("cardiowatch.models")``."""
