"""The ASGI benchmark (benchmarks/asgi.py): every app answers correctly, and a tiny run reports
the ratios ``make bench`` prints."""

from __future__ import annotations

import asyncio

import pytest
from benchmarks.asgi import APPS, KINDS, Result, build_apps, check, main, measure, render, scope_for

from tests.asgi_support import call


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", APPS)
def test_every_app_answers_every_request_correctly(name: str, kind: str) -> None:
    assert check(name, kind, call(build_apps()[name], scope_for(kind))) == []


def test_a_wrong_answer_is_caught_before_it_is_timed() -> None:
    bare = call(build_apps()["bare"], scope_for("preflight"))
    assert check("crossgate", "preflight", bare) == [
        "status 405",
        "no Access-Control-Allow-Origin for the allowed origin",
        "PUT not in Access-Control-Allow-Methods",
    ]


def test_a_tiny_run_reports_both_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    result = asyncio.run(measure(rounds=2, batch=3, warmup=1))
    assert set(result.medians) == {(name, kind) for name in APPS for kind in KINDS}
    assert all(value > 0 for value in result.medians.values())
    assert main(["--rounds", "1", "--batch", "2"]) == 0
    printed = capsys.readouterr().out
    assert "crossgate.asgi's overhead / Starlette's" in printed
    assert "crossgate.asgi's time / Starlette's" in printed


def test_the_ratios_and_the_verdicts() -> None:
    medians = {
        ("bare", "actual"): 40.0,
        ("starlette", "actual"): 50.0,
        ("crossgate", "actual"): 45.0,
        ("bare", "preflight"): 7.0,
        ("starlette", "preflight"): 5.0,
        ("crossgate", "preflight"): 6.0,
    }
    result = Result(medians)
    assert result.actual_ratio == pytest.approx(0.5)
    assert result.preflight_ratio == pytest.approx(1.2)
    lines = render(result).splitlines()
    assert lines[-2].startswith("met     allowed GET")
    assert "0.50" in lines[-2]
    assert lines[-1].startswith("MISSED  allowed preflight")
    assert "1.20" in lines[-1]
