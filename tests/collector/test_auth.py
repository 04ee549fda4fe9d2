"""A collector started with --api-key: every way in (OTLP/gRPC, the RunService, the HTTP
API, OTLP/HTTP, the UI, the CLI) needs the key; /healthz does not."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid

import pytest

from tests.cli.test_cli import run_cli
from tests.support.collector import CollectorProcess, source_env

KEY = "sk-test-" + "0123456789abcdef"


def _status(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> int:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    proc = CollectorProcess(tmp_path_factory.mktemp("auth") / "data", "--api-key", KEY)
    proc.start()
    yield proc
    proc.stop()


def test_http_needs_the_key_but_health_checks_do_not(locked):
    api = locked.http_url + "/api/v1/traces?limit=1"
    assert _status(api) == 401
    assert _status(api, {"Authorization": "Bearer wrong-key-0123456789"}) == 401
    assert _status(api, {"Authorization": f"Bearer {KEY}"}) == 200
    basic = base64.b64encode(f"anyone:{KEY}".encode()).decode()
    assert _status(locked.http_url + "/ui/traces", {"Authorization": f"Basic {basic}"}) == 200
    try:
        urllib.request.urlopen(locked.http_url + "/ui/traces", timeout=30)
    except urllib.error.HTTPError as err:  # browsers ask for the key
        assert err.code == 401 and err.headers["www-authenticate"].startswith("Basic")
        assert "API key" in json.loads(err.read())["detail"]
    assert _status(locked.http_url + "/healthz") == 200
    assert _status(locked.http_url + "/metrics") == 200
    # OTLP/HTTP without the key: refused, so nothing is stored
    refused = _status(locked.http_url + "/v1/traces", {"Content-Type": "application/json"},
                      json.dumps({"resourceSpans": []}).encode())  # fmt: skip
    assert refused == 401


def test_the_sdk_and_the_cli_send_the_key(locked):
    import spanwise

    try:
        spanwise.configure(endpoint=locked.grpc_endpoint, project="auth", api_key="")
        with spanwise.start_span("without-key"):
            pass
        spanwise.flush(10)
        assert spanwise.stats().failed > 0  # UNAUTHENTICATED: the export failed

        spanwise.configure(endpoint=locked.grpc_endpoint, project="auth", api_key=KEY,
                           api_url=locked.http_url)  # fmt: skip
        with spanwise.start_span("with-key") as span:
            trace_id = span.trace_id
        experiment = f"auth-{uuid.uuid4().hex[:8]}"
        spanwise.set_experiment(experiment)
        with spanwise.start_run() as run:  # the RunService over gRPC
            spanwise.log_metric("loss", 0.5)
        assert spanwise.flush(30)
        client = spanwise.Client()
        assert client.get_trace(trace_id) is not None
        assert client.get_run(run.info.run_id).data.metrics == {"loss": 0.5}
        names = {t.info.name for t in client.search_traces(max_results=100)}
        assert "with-key" in names and "without-key" not in names
    finally:  # leave nothing queued for this collector, and the SDK as the suite set it
        spanwise.set_experiment("Default")
        spanwise.flush(10)
        spanwise.configure(api_key="", api_url="")

    url = ("--url", locked.http_url)
    listed = run_cli("traces", "list", *url, "--json")
    assert listed.returncode == 1 and "HTTP 401" in listed.stderr and "API key" in listed.stderr
    import subprocess
    import sys

    keyed = subprocess.run(
        [sys.executable, "-m", "spanwise_collector", "traces", "list", *url, "--json"],
        capture_output=True, text=True, timeout=120,
        env=source_env({"SPANWISE_API_KEY": KEY}),
    )  # fmt: skip
    assert keyed.returncode == 0, keyed.stderr
    assert trace_id in keyed.stdout


def test_a_short_key_is_refused_at_start(tmp_path):
    result = run_cli("collector", "--store", str(tmp_path / "data"), "--grpc-port", "0",
                     "--http-port", "0", "--api-key", "short")  # fmt: skip
    assert result.returncode == 2 and "at least 16 characters" in result.stderr


def test_a_key_read_with_its_newline_still_works(locked):
    """A key read from a file or a secret often ends with a newline: gRPC refused the
    header (every span failed with 'Invalid metadata') and the CLI could not send it."""
    import subprocess
    import sys

    script = (
        "import sys, spanwise\n"
        "spanwise.configure(endpoint=sys.argv[1], project='auth')\n"
        "with spanwise.start_span('newline-key') as span:\n"
        "    print(span.trace_id)\n"
        "assert spanwise.flush(30) and spanwise.stats().failed == 0, spanwise.stats()\n"
    )
    env = source_env({"SPANWISE_API_KEY": KEY + "\n"})
    env.pop("SPANWISE_RAISE_INTERNAL_ERRORS", None)
    sent = subprocess.run([sys.executable, "-c", script, locked.grpc_endpoint],
                          capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "spanwise_collector", "traces", "list", "--url", locked.http_url,
         "--json"], capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert sent.stdout.strip() in listed.stdout


def test_configure_refuses_a_key_no_header_can_carry():
    import spanwise
    from spanwise._internal.provider import STATE

    before = STATE.settings
    with pytest.raises(ValueError, match="api_key cannot be sent: character 1 is not printable"):
        spanwise.configure(api_key="ключ-0123456789abcdef")
    assert STATE.settings == before  # changes nothing
