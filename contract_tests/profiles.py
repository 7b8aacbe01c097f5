"""The contract suite's hypothesis profiles, loaded on import: `ci` (derandomized, bounded; chosen when
CI=true), `dev` (the default), `deep` (more examples and state-machine runs), `seeded` (ci's sizes with
the seed the run is given: what benchmarks/drills/contract_seeds.py runs on many seeds). Pick one with
HYPOTHESIS_PROFILE, `--hypothesis-profile` or `feishu-hire contract --profile`. Each bounds what makes
its run time: examples per test, the state machine's examples and steps, and the per-test timeout."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings


@dataclass(frozen=True)
class Profile:
    """A hypothesis profile with what bounds its run time: the state machine's examples and steps
    (each step is a few calls plus a state read) and the per-test timeout."""

    settings: dict[str, Any]
    stateful_examples: int
    stateful_steps: int
    timeout: int  # seconds, per test


# Function-scoped fixtures (a target, a mock) are shared by a test's examples on purpose: the
# properties hold on any state, and a fresh server per example would cost seconds.
_COMMON: dict[str, Any] = {
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "deadline": None,
}
PROFILES = {
    "ci": Profile(
        {"derandomize": True, "database": None, "max_examples": 12, "print_blob": True},
        stateful_examples=12,
        stateful_steps=50,
        timeout=300,
    ),
    "seeded": Profile(
        {"database": None, "max_examples": 12, "print_blob": True},
        stateful_examples=12,
        stateful_steps=50,
        timeout=300,
    ),
    "dev": Profile({"max_examples": 25}, stateful_examples=25, stateful_steps=50, timeout=300),
    "deep": Profile({"max_examples": 200}, stateful_examples=100, stateful_steps=50, timeout=600),
}
for _name, _profile in PROFILES.items():
    settings.register_profile(_name, **_profile.settings, **_COMMON)
DEFAULT_PROFILE = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", DEFAULT_PROFILE))


def current_profile() -> Profile:
    """The loaded profile's bounds (a profile registered elsewhere gets `dev`'s)."""
    return PROFILES.get(settings.get_current_profile_name(), PROFILES["dev"])
