"""The proxy section of ``make bench``: the page states both rates and their ratio."""

from __future__ import annotations

from benchmarks.proxy import ProxyResult, markdown, render


def test_the_page_states_the_ratio() -> None:
    result = ProxyResult(nginx=30_000.0, app=4_000.0, rounds=5)
    text = markdown(result)
    assert "| nginx (exported) | 30,000 |" in text
    assert "| the app under gunicorn | 4,000 |" in text
    assert "**7.5 times** as many" in text
    assert render(result).endswith("(x7.5)")


def test_a_machine_without_nginx_says_so() -> None:
    assert "Not measured: nginx or gunicorn is not installed" in markdown(None)
    assert "skipped" in render(None)
