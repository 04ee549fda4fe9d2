"""Timed MLflow tracing queries through its Python client against its server.

Env: BENCH_URL, BENCH_EXPERIMENT, BENCH_OP (by_id | search | rollup), BENCH_ARGS (a JSON
list, one entry per call: a trace id / [model, since_ms] / [since_ms, until_ms]),
BENCH_TIMEOUT (seconds per call). Prints {"ms": [...], "timeout": bool, "found": n}.
A call that times out ends the run (the server stays busy with it).
"""

from __future__ import annotations

import json
import os
import time


def main() -> None:
    timeout = float(os.environ["BENCH_TIMEOUT"])
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(int(timeout))
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType

    url, experiment = os.environ["BENCH_URL"], os.environ["BENCH_EXPERIMENT"]
    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    store = client._tracking_client.store
    op, args = os.environ["BENCH_OP"], json.loads(os.environ["BENCH_ARGS"])

    def call(arg: object) -> int:
        if op == "by_id":
            return len(client.get_trace(f"tr-{arg}", display=False).data.spans)
        if op == "search":
            model, since_ms = arg  # type: ignore[misc]
            # No cost filter in MLflow's search grammar: model (span attribute) + time.
            # LIKE: it stores attribute values JSON-encoded ('"gpt-4o"'), so = finds none.
            found = client.search_traces(
                experiment_ids=[experiment],
                filter_string=f"span.attributes.`gen_ai.request.model` LIKE '%{model}%' "
                f"AND trace.timestamp_ms > {since_ms}",
                max_results=100,
                order_by=["timestamp_ms DESC"],
                include_spans=False,
            )
            return len(found)
        since_ms, until_ms = arg  # type: ignore[misc]
        points = store.query_trace_metrics(
            experiment_ids=[experiment],
            view_type=MetricViewType.SPANS,
            metric_name="span_count",
            aggregations=[MetricAggregation(AggregationType.COUNT)],
            dimensions=["span_model_name"],
            time_interval_seconds=86_400,
            start_time_ms=since_ms,
            end_time_ms=until_ms,
        )
        return len(points)

    ms: list[float] = []
    found = 0
    timed_out = False
    error = ""
    for arg in args:
        began = time.perf_counter()
        try:
            found += call(arg)
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}"
            if "imeout" in text or time.perf_counter() - began >= timeout * 0.95:
                timed_out = True
            else:
                error = text[:300]
            break
        ms.append((time.perf_counter() - began) * 1000)
    print(json.dumps({"ms": ms, "timeout": timed_out, "found": found, "error": error}))


if __name__ == "__main__":
    main()
