"""Reliability drills of issue 6: each prints its figures and the command that reproduces it.

    .venv/bin/python -m benchmarks.drills.uniqueness   # one user under 64 concurrent creates, 3 processes
    .venv/bin/python -m benchmarks.drills.kill9        # kill -9 mid-load: nothing acknowledged lost
    .venv/bin/python -m benchmarks.drills.fuzz         # >= 10,000 generated requests: no 5xx, no traceback
    .venv/bin/python -m benchmarks.drills.ratelimit    # admitted per window over a 10 s burst

tests/drills/ runs bounded versions of the same code.
"""
