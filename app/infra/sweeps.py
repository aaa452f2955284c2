"""The scheduler's sweep steps, registered by the areas that own them; the scheduler runs whatever is here.

An area adds a step with ``@sweeps.step("name", order=N)`` on a function that takes no arguments, does its
idempotent work in units (app.infra.units) and returns its figures as a dict; ``run_all`` runs every step in
order and merges the figures. Lower orders run first (reminders before closing, so that after an outage the
reminders that no longer make sense are recorded as skipped before their bid closes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.infra import metrics

Figures = dict


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    run: Callable[[], Figures]


_STEPS: dict[str, Step] = {}


def step(name: str, *, order: int) -> Callable[[Callable[[], Figures]], Callable[[], Figures]]:
    """Register the decorated function as the sweep step ``name`` (registering a name again replaces it)."""

    def register(run: Callable[[], Figures]) -> Callable[[], Figures]:
        _STEPS[name] = Step(name, order, run)
        return run

    return register


def registered() -> list[Step]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


def run_all() -> Figures:
    """Run every registered step once, in order; the figures of all of them in one dict."""
    figures: Figures = {}
    for registered_step in registered():
        figures.update(metrics.timed_step(registered_step.name, registered_step.run)())
    return figures
