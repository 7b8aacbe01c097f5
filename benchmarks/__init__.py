"""Benchmarks and reliability drills: scripts run by hand, each printing ratios measured in one run."""
