"""The generator of the mock's random ids (log ids, user ids, tokens stay `secrets`).

Ids are not secrets: `secrets` asks the kernel on every call, this draws from memory. It is private, so
nothing that seeds the global `random` (hypothesis does, in every test) can make ids repeat, and it is
reseeded in every forked worker, so two workers never draw the same ids.
"""

from __future__ import annotations

import os
import random

rng = random.Random()
if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=rng.seed)
