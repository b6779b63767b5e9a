"""Every raw-server scenario in Chromium, Firefox and WebKit: engine, model and console agree.

For each engine and scenario a page makes the ``fetch()``; the servers record what they were
sent and what they answered; the browser model, given exactly those exchanges and that engine's
profile, must reach the engine's outcome, and its console lines must be the engine's, word for
word. The preflights the engine sent must be the ones the model says it needs, and a repeated
fetch must be preflighted again exactly when the model's cache age says so.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from crossgate.browser import PROFILES, HttpResponse, console_lines

from .conftest import AGREEMENT
from .engines import Engine
from .harness import LiveServer, recorded_exchanges, replay, run_scenario
from .scenarios import LATER_SCENARIOS, SCENARIOS, Scenario

pytestmark = pytest.mark.browser


#: Where an engine does what the model cannot explain; counted against the agreement share.
KNOWN_DISAGREEMENTS = {
    ("firefox", "cache-max-age-600"): (
        "Firefox ESR 153 preflights a fetch again 0.3 s after caching Access-Control-Max-Age: "
        "600 in this run, yet keeps the same entry for 6 s in the later test and keeps 5 s "
        "entries; not explained yet"
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.id for scenario in SCENARIOS])
def test_engine_model_and_console_agree(
    scenario: Scenario,
    warm_engine: Engine,
    engine_page: str,
    raw_apis: dict[str, LiveServer],
    request: pytest.FixtureRequest,
) -> None:
    engine = warm_engine
    if (engine.name, scenario.id) in KNOWN_DISAGREEMENTS:
        reason = KNOWN_DISAGREEMENTS[engine.name, scenario.id]
        # Not strict: what Firefox does here depends on timing it does not explain, so the
        # scenario may agree on another run; either way it is reported and counted.
        request.applymarker(pytest.mark.xfail(strict=False, reason=reason))
    profile = PROFILES[engine.name]
    counts = AGREEMENT.setdefault(engine.name, [0, 0])
    counts[1] += 1
    query = f"c={scenario.id}&e={engine.name}&page={quote(engine_page, safe='')}"
    page_request, runs = run_scenario(engine, engine_page, raw_apis, scenario, query)
    cached: HttpResponse | None = None
    for attempt, (seen, exchanges) in enumerate(runs):
        verdict, cached = replay(page_request, exchanges, cached, profile)
        sent_preflight = any(exchange.is_preflight for exchange in exchanges)

        assert verdict.allowed is seen.allowed, (seen, verdict)
        assert seen.console == console_lines(page_request, verdict), verdict
        if attempt == 0:
            assert verdict.preflight_needed is sent_preflight, verdict
        else:
            assert verdict.max_age is not None
            assert (verdict.max_age > 0) is not sent_preflight, verdict
        if seen.allowed:
            assert seen.status == exchanges[-1].status
            if scenario.read is not None:
                readable = scenario.read.lower() in verdict.readable_headers
                assert readable is (seen.header is not None)
    counts[0] += 1


def test_the_preflight_cache_expires_as_the_model_says(
    warm_engine: Engine, engine_page: str, raw_apis: dict[str, LiveServer]
) -> None:
    """Two fetches six seconds apart: a new preflight exactly when the model's age is < 6 s.

    This proves each engine's fallback for a missing or invalid ``Access-Control-Max-Age``
    (5 s, or not cached at all) and what it makes of a 20-digit number (Chromium and WebKit:
    the 5 s fallback; Firefox: its cap).
    """
    engine = warm_engine
    profile = PROFILES[engine.name]
    query = f"e={engine.name}&page={quote(engine_page, safe='')}"
    first = [
        run_scenario(engine, engine_page, raw_apis, scenario, query) for scenario in LATER_SCENARIOS
    ]
    time.sleep(6)
    ages = {}
    for scenario, (request, runs) in zip(LATER_SCENARIOS, first, strict=True):
        verdict, _ = replay(request, runs[0][1], None, profile)
        assert verdict.allowed
        assert verdict.max_age is not None
        seen = engine.fetch(request, scenario.body, None, sandboxed=False)
        assert seen.allowed
        again = any(exchange.is_preflight for exchange in recorded_exchanges(raw_apis, query))
        ages[scenario.id] = verdict.max_age
        assert again is (verdict.max_age < 6), (scenario.id, verdict.max_age)
    expected_short = {"later-none": True, "later-600": False}
    for name, short in expected_short.items():
        assert (ages[name] < 6) is short
