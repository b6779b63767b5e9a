"""The protection benchmark times apps that answer right, and reports its targets."""

from __future__ import annotations

from benchmarks import protection


def test_every_cell_answers_as_the_benchmark_says() -> None:
    assert protection.check() == []


def test_a_tiny_run_reports_each_target() -> None:
    result = protection.measure(rounds=2, batch=5, warmup=5)
    assert set(result.medians) == set(protection.CELLS)
    assert result.refused_ratio > 0
    text = protection.render(result)
    assert text.count(f"< 0.1{protection.TIMES}") == 3
    page = protection.markdown(result)
    assert page.startswith("## Cross-origin protection")
    assert "refused POST, app with exempt" in page
