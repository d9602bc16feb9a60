"""A pytest plugin that runs many mutants in one test session (see scripts/mutation.py).

mutmut's mutated modules dispatch every call through a trampoline that reads the active
mutant's name at call time, so a mutant is switched on and off in memory: no fork, no fresh
import of the app, no new Valkey server per mutant. The plan (a JSON file named by
BITCART_MUTATION_PLAN) says which mutants to run and where to write what happened:

1. the stats pass (only when the plan's stats file does not exist yet): every selected test
   runs once on the unmutated code, recording its duration, whether it passed and which
   mutated functions it reached (mutmut's own "stats" mode of the trampoline);
2. each mutant: the tests that reach its function and passed unmutated, fastest first, until
   one fails (killed) or all pass (survived). Before a mutant starts, a "start" line with its
   time budget is written; the driver kills the session when that budget is overrun.
   With `confirm`, the mutant's tests first run unmutated, timed, as a fresh baseline.
Hypothesis does not shrink a failing example here (a mutant only has to fail).
3. after a kill, one of the mutant's tests runs again unmutated (the canary): if it fails, the
   mutant left the session broken, so the session stops and the driver starts a new one for
   the rest: no later mutant is counted as killed by a broken session.

Results are appended to the plan's results file, one JSON object a line, flushed at once.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from _pytest.runner import runtestprotocol
from mutmut.mutation.trampoline import set_mutant_under_test
from mutmut.state import state
from mutmut.utils.format_utils import mangled_name_from_mutant_name


class _Session:
    def __init__(self, session: pytest.Session, plan: dict[str, Any]) -> None:
        self.session = session
        self.plan = plan
        self.items = {item.nodeid: item for item in session.items}
        self.out = Path(plan["results"]).open("a", buffering=1)  # noqa: SIM115

    def write(self, **record: Any) -> None:
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()
        os.fsync(self.out.fileno())

    def run(self, item: pytest.Item) -> tuple[bool, float]:
        """Run one test (setup, call, teardown of its own fixtures): passed?, seconds."""
        # tear down what the previous test kept that this one does not share (its module's
        # fixtures), keep the session's (the app, the database, Valkey)
        self.session._setupstate.teardown_exact(item)
        start = time.perf_counter()
        parent = item.parent
        assert parent is not None
        reports = runtestprotocol(item, nextitem=parent, log=False)  # type: ignore[arg-type]
        return not any(r.failed for r in reports), time.perf_counter() - start

    def stats(self) -> dict[str, Any]:
        path = Path(self.plan["stats"])
        if path.exists():
            loaded: dict[str, Any] = json.loads(path.read_text())
            return loaded
        tests: dict[str, Any] = {}
        self.write(start="stats", budget=self.plan.get("stats_budget", 3600))
        for nodeid, item in self.items.items():
            set_mutant_under_test("stats")
            state()._stats.clear()
            passed, seconds = self.run(item)
            hits = sorted(state()._stats)
            state()._stats.clear()
            tests[nodeid] = {"passed": passed, "seconds": seconds, "hits": hits}
        set_mutant_under_test("")
        stats = {"tests": tests}
        path.write_text(json.dumps(stats))
        self.write(done="stats")
        return stats

    def covering(self, stats: dict[str, Any], mutant: str) -> list[str]:
        function = mangled_name_from_mutant_name(mutant)
        found = [
            nodeid
            for nodeid, test in stats["tests"].items()
            if test["passed"] and function in test["hits"] and nodeid in self.items
        ]
        return sorted(found, key=lambda nodeid: stats["tests"][nodeid]["seconds"])

    def mutants(self, stats: dict[str, Any]) -> None:
        floor = float(self.plan.get("budget_floor", 30))
        factor = float(self.plan.get("budget_factor", 8))
        for mutant in self.plan["mutants"]:
            tests = self.covering(stats, mutant)
            baseline = sum(stats["tests"][t]["seconds"] for t in tests)
            budget = max(floor, factor * baseline)
            if not tests:
                self.write(mutant=mutant, result="no tests", seconds=0, baseline=0)
                continue
            if self.plan.get("confirm"):
                # the same tests, unmutated, now: they must finish well inside the budget
                self.write(start="baseline:" + mutant, budget=budget)
                set_mutant_under_test("")
                began = time.perf_counter()
                ok = all(self.run(self.items[t])[0] for t in tests)
                self.write(baseline_of=mutant, ok=ok, seconds=time.perf_counter() - began)
            self.write(start=mutant, budget=budget)
            began = time.perf_counter()
            killed_by = None
            set_mutant_under_test(mutant)
            try:
                for nodeid in tests:
                    passed, _ = self.run(self.items[nodeid])
                    if not passed:
                        killed_by = nodeid
                        break
            finally:
                set_mutant_under_test("")
            seconds = time.perf_counter() - began
            self.write(
                mutant=mutant,
                result="killed" if killed_by else "survived",
                by=killed_by,
                seconds=seconds,
                baseline=baseline,
            )
            if killed_by and not self.run(self.items[tests[0]])[0]:
                self.write(broken_by=mutant, canary=tests[0])
                return  # the driver starts a fresh session for the rest


def pytest_configure(config: pytest.Config) -> None:
    """A failing property test only has to fail here: shrinking its example to the smallest
    (minutes for a state machine) tells nothing more about a mutant."""
    if not os.environ.get("BITCART_MUTATION_PLAN"):
        return
    from hypothesis import Phase, settings

    settings.register_profile(
        "mutation",
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        report_multiple_bugs=False,
    )
    settings.load_profile("mutation")


def pytest_runtestloop(session: pytest.Session) -> bool | None:
    plan_file = os.environ.get("BITCART_MUTATION_PLAN")
    if not plan_file or session.config.option.collectonly:
        return None
    plan = json.loads(Path(plan_file).read_text())
    runner = _Session(session, plan)
    try:
        runner.mutants(runner.stats())
        runner.write(finished=True)
    finally:
        runner.out.close()
    return True
