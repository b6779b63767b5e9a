"""Tests of crossgate.compat.flask_cors, mostly differential against the real flask-cors."""
