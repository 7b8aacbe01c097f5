"""wrk's report as the benchmarks read it: the rate, the percentiles (the 99.9th from the Lua script's
`done`), the errors."""

from __future__ import annotations

import pytest

from benchmarks.wrk import parse, threads

REPORT = """Running 8s test @ http://127.0.0.1:40000
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.61ms    1.48ms  31.20ms   80.12%
    Req/Sec     1.55k   120.33     1.80k    71.25%
  Latency Distribution
     50%    2.37ms
     75%    3.10ms
     90%    4.52ms
     99%    8.48ms
  24732 requests in 8.00s, 9.91MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 5
Requests/sec:   3091.45
Transfer/sec:      1.24MB
p99.9: 12540us
"""


def test_the_report_is_read_whole() -> None:
    result = parse(REPORT)
    assert result.requests == 24732
    assert result.requests_per_s == pytest.approx(3091.45)
    assert (result.p50_ms, result.p90_ms, result.p99_ms) == (2.37, 4.52, 8.48)
    assert result.p999_ms == pytest.approx(12.54)
    assert (result.non_2xx, result.socket_errors) == (5, 3)


def test_a_report_without_the_scripts_tail_line_is_refused() -> None:
    with pytest.raises(ValueError, match="wrk report has no"):
        parse(REPORT.replace("p99.9: 12540us\n", ""))


def test_the_wrks_of_one_run_share_the_threads_of_one() -> None:
    assert [threads(8), threads(4, share_of=2), threads(3, share_of=3)] == [2, 1, 1]
    assert threads(1) == 1  # no thread without a connection
