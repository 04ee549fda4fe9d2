"""IPv6 literal addresses: a collector on --host ::1, an SDK endpoint http://[::1]:PORT."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.reliability._otlp import new_trace_id, trace_request
from tests.support.collector import source_env
from tests.support.waiting import wait_for


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback")


@pytest.fixture(scope="module")
def collector_v6(tmp_path_factory):
    """``spanwise collector --host ::1``: gRPC was given "::1:PORT", which it read as
    another address (port 443), and the collector did not start."""
    store = tmp_path_factory.mktemp("ipv6") / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "spanwise_collector", "collector", "--store", str(store),
         "--host", "::1", "--grpc-port", "0", "--http-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=source_env(),
    )  # fmt: skip
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("grpc="), proc.communicate(timeout=30)[1]
        ports = dict(part.split("=") for part in line.split())
        http = f"http://[::1]:{ports['http']}"

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"{http}/healthz", timeout=2):
                    return True
            except OSError:
                return False

        assert wait_for(healthy, timeout=60)
        yield f"http://[::1]:{ports['grpc']}", http
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_collector_listens_on_an_ipv6_address(collector_v6):
    _, http = collector_v6
    trace_id = new_trace_id()
    request = urllib.request.Request(
        f"{http}/v1/traces", data=trace_request(trace_id, 2).SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200
    with urllib.request.urlopen(f"{http}/api/v1/traces/{trace_id.hex()}", timeout=30) as reply:
        assert json.loads(reply.read())["info"]["span_count"] == 2


def test_sdk_exports_to_an_ipv6_endpoint(collector_v6):
    """SPANWISE_ENDPOINT=http://[::1]:PORT lost its brackets on the way to gRPC
    ("::1:PORT", read as another address and port 443): every export failed."""
    import spanwise

    grpc_endpoint, http = collector_v6
    script = (
        "import spanwise\n"
        "with spanwise.start_span('over ipv6') as span:\n"
        "    print(span.trace_id)\n"
        "assert spanwise.flush(30) and spanwise.stats().exported == 1, spanwise.stats()\n"
    )
    env = source_env({"SPANWISE_ENDPOINT": grpc_endpoint})
    env.pop("SPANWISE_RAISE_INTERNAL_ERRORS", None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert spanwise.Client(http).get_trace(done.stdout.strip()) is not None
