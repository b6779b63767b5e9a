"""Fixture apps for the export tests (served by gunicorn, exported, replayed)."""
