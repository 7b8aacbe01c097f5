"""Random ids do not repeat when something seeds the global `random`, nor across forked workers."""

from __future__ import annotations

import os
import random
import sys

import pytest

from mockserver.journal import new_log_id
from mockserver.operations.site_users import new_user_id


def test_seeding_the_global_random_does_not_repeat_ids() -> None:
    random.seed(7)
    first = (new_user_id(), new_log_id(0))
    random.seed(7)
    assert (new_user_id(), new_log_id(0)) != first


@pytest.mark.skipif(sys.platform == "win32", reason="no fork")
def test_a_forked_worker_draws_its_own_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write, new_user_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert len(child) == 19
    assert child != new_user_id()
