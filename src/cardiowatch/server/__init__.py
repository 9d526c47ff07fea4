"""The monitoring server: ingest, per-device pipelines, storage, alerts, live feed."""
