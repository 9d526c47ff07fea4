"""The device wire format: frames and status messages (no I/O here)."""
