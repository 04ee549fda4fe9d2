"""An MLflow-traced app sending to Spanwise over OTLP (MLflow's own switch:
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): the real ``mlflow-tracing`` in its own process,
``@mlflow.trace`` and ``mlflow.openai.autolog()`` against the local fake OpenAI server;
the spans read back typed and priced from MLflow's own attributes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal

from tests.fakes.openai_server import FakeOpenAI
from tests.support.collector import source_env

APP = """
import json, os
import mlflow
import openai

mlflow.openai.autolog()
llm = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="x", max_retries=0)


@mlflow.trace(span_type="RETRIEVER")
def retrieve(question):
    return [{"page_content": "Paris is the capital of France."}]


seen = {}


@mlflow.trace(span_type="AGENT")
def agent(question):
    seen["trace_id"] = mlflow.get_current_active_span().trace_id
    retrieve(question)
    reply = llm.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content


agent("capital of France?")
print(json.dumps(seen))
"""

# gpt-4o-mini, USD per token (the bundled price table): input, cached input, output
IN, CACHED, OUT = Decimal("0.15") / 10**6, Decimal("0.075") / 10**6, Decimal("0.60") / 10**6


def test_an_mlflow_app_traced_and_priced(client, collector, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(APP)
    with FakeOpenAI() as server:
        env = source_env({
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.grpc_endpoint,
            "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "true",
            "FAKE_OPENAI_URL": server.base_url, "MLFLOW_TRACKING_URI": str(tmp_path / "mlruns"),
        })  # fmt: skip
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=180, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    mlflow_id = json.loads(done.stdout.strip().splitlines()[-1])["trace_id"]
    trace_id = mlflow_id.removeprefix("tr-")

    client_trace = None
    for _ in range(50):  # the app exported on exit; the collector stores in a moment
        client_trace = client.get_trace(trace_id)
        if client_trace is not None and len(client_trace.data.spans) == 3:
            break
        time.sleep(0.2)
    assert client_trace is not None
    # MLflow's own id for the trace ("tr-" + the OTel trace id) finds it too.
    assert client.get_trace(mlflow_id).info.trace_id == trace_id
    client.log_feedback(mlflow_id, "helpful", True)
    assert [a.name for a in client.get_trace(trace_id).info.assessments] == ["helpful"]
    spans = {s.name: s for s in client_trace.data.spans}
    assert {n: s.span_type for n, s in spans.items()} == {
        "agent": "AGENT", "retrieve": "RETRIEVER", "Completions": "CHAT_MODEL",
    }  # fmt: skip
    assert spans["agent"].inputs == {"question": "capital of France?"}
    assert spans["retrieve"].outputs == [{"page_content": "Paris is the capital of France."}]
    call = spans["Completions"]
    assert call.model.startswith("gpt-4o-mini")
    assert call.input_tokens > 0 and call.output_tokens > 0
    expected = (call.input_tokens - call.cached_tokens) * IN + call.cached_tokens * CACHED
    assert call.cost == expected + call.output_tokens * OUT
    assert client_trace.info.cost == call.cost
