"""Filters, streaming QRS and PPG pulse detection, signal quality."""
