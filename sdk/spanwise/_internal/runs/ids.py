"""Ids of experiments and runs, made on the client so logging needs no round trip."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time

__all__ = ["experiment_id_for", "new_event_id", "new_run_id", "next_version", "run_name"]

_ADJECTIVES = ("amber", "bold", "brisk", "calm", "clever", "crisp", "eager", "gentle",
               "keen", "lucid", "mellow", "nimble", "quiet", "rapid", "silent", "vivid")  # fmt: skip
_NOUNS = ("badger", "comet", "falcon", "fern", "harbor", "lark", "maple", "otter", "pine",
          "quartz", "raven", "river", "sparrow", "tiger", "willow", "wren")  # fmt: skip
_random = random.Random()
# A forked child would draw the parent's sequence (only the random module's own
# instance is reseeded at fork): equal event ids, and of two points of one metric at
# the same step and millisecond, one from each process, one was merged away.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_random.seed)
_version_lock = threading.Lock()
_last_version = 0


def experiment_id_for(name: str) -> str:
    """The experiment's id is a hash of its name: every process agrees on it offline."""
    return hashlib.sha256(b"spanwise-experiment\x00" + name.encode("utf-8")).hexdigest()[:32]


def new_run_id() -> str:
    """32 lowercase hex characters, like MLflow's run ids and W3C trace ids."""
    return os.urandom(16).hex()


def new_event_id() -> int:
    return _random.getrandbits(64)


def next_version() -> int:
    """Strictly increasing within the process, close to wall-clock nanoseconds across them."""
    global _last_version
    with _version_lock:
        _last_version = max(_last_version + 1, time.time_ns())
        return _last_version


def run_name() -> str:
    return f"{_random.choice(_ADJECTIVES)}-{_random.choice(_NOUNS)}-{_random.randrange(1000)}"
