"""Run a function in a forked child and read back what it reports."""

from __future__ import annotations

import os
from collections.abc import Callable


def in_forked_child(body: Callable[[], str]) -> str:
    """``body()``'s report from a child made by ``os.fork()``; asserts the child exited 0."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no pytest machinery from here on, only os._exit
        code = 1
        try:
            os.close(read_fd)
            os.write(write_fd, body().encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, report
    return report
