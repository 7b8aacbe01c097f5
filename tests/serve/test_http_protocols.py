"""What the mock adds to uvicorn's protocols: the httptools head written back in the app's header-name
casing (`recased`), and, with the journal's entries of a loop turn written in one insert, every call's
entry stored before its caller has the answer (`Journal.record`, `CoalescingTransport`)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from pathlib import Path

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.httptools_protocol import recased
from mockserver.journal import JournalFilter
from mockserver.runtime import EXTENSION, Runtime
from tests.mockserver.helpers import SITE_USERS, bearer, start_server


def test_recased_gives_each_name_the_apps_casing_and_leaves_the_rest() -> None:
    head = (
        b"HTTP/1.1 200 OK\r\ndate: Sun, 29 Nov 2026 09:00:00 GMT\r\ncontent-type: application/json\r\n"
        b"x-tt-logid: 2026ABC\r\nx-ogw-ratelimit-limit: 10\r\nx-odd: a: b\r\n\r\n"
    )
    names = {
        b"content-type": b"Content-Type",
        b"x-tt-logid": b"X-Tt-Logid",
        b"x-ogw-ratelimit-limit": b"x-ogw-ratelimit-limit",
        b"x-odd": b"X-Odd",
    }
    assert recased(head, names) == (
        b"HTTP/1.1 200 OK\r\ndate: Sun, 29 Nov 2026 09:00:00 GMT\r\nContent-Type: application/json\r\n"
        b"X-Tt-Logid: 2026ABC\r\nx-ogw-ratelimit-limit: 10\r\nX-Odd: a: b\r\n\r\n"
    )


def test_on_a_loop_entries_wait_for_its_next_turn_and_reads_write_them_first(tmp_path: Path) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", rate_limits=False))
    client = app.test_client()
    client.post("/mock-api/reset")
    rt: Runtime = app.extensions[EXTENSION]

    async def calls() -> tuple[int, int, int]:
        # Three calls in one turn of the loop: the app runs on the loop's thread, as on a uvicorn worker.
        for n in range(3):
            client.post(SITE_USERS, json={"external_id": f"turn-{n}"})
        stored_during_turn = rt.store.read().count_journal_entries(JournalFilter().to_params(), at_most=10)
        seen_by_a_read = rt.journal.count(JournalFilter()).count  # a read writes what is pending first
        await asyncio.sleep(0)
        return stored_during_turn, seen_by_a_read, rt.journal.count(JournalFilter()).count

    during, read, after = asyncio.run(calls())
    assert (during, read, after) == (0, 3, 3)

    closed_early = asyncio.new_event_loop()
    closed_early.call_soon(lambda: client.post(SITE_USERS, json={"external_id": "left"}))
    closed_early.call_soon(closed_early.stop)
    closed_early.run_forever()
    closed_early.close()  # before its next turn: the callback that would write "left" never runs

    async def call_on_a_new_loop() -> None:
        client.post(SITE_USERS, json={"external_id": "next"})
        await asyncio.sleep(0)

    asyncio.run(call_on_a_new_loop())  # its callback writes both: nothing waits for a read
    assert rt.store.read().count_journal_entries(JournalFilter().to_params(), at_most=10) == 5


@pytest.mark.slow
@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_each_call_is_in_the_journal_before_its_caller_has_the_answer(tmp_path: Path, http: str) -> None:
    """Calls from 4 threads to 2 workers, and after each answer a journal read on another connection
    (likely the other worker): the call's log id is always there."""
    feishu_hire = str(Path(sys.executable).with_name("feishu-hire"))
    process, url = start_server(
        [feishu_hire, "serve"], tmp_path / "mock.db", "--workers", "2", "--http", http, "--no-rate-limits"
    )
    missing: list[str] = []
    try:
        headers = bearer(httpx.Client(base_url=url))

        def caller(n: int) -> None:
            with (
                httpx.Client(base_url=url, timeout=10) as calls,
                httpx.Client(base_url=url, timeout=10) as reads,
            ):
                for i in range(40):
                    answer = calls.post(SITE_USERS, json={"external_id": f"j-{n}-{i}"}, headers=headers)
                    log_id = answer.headers["X-Tt-Logid"]
                    journal = reads.get("/mock-api/requests", params={"limit": 50}).json()["requests"]
                    if log_id not in {entry["log_id"] for entry in journal}:
                        missing.append(log_id)

        threads = [threading.Thread(target=caller, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    assert missing == []
