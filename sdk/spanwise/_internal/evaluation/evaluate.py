"""The evaluation loop: one run; per record a trace of ``predict_fn(**inputs)``, its
expectations and each scorer's feedback logged on that trace; the means as run metrics.

Two phases, each over the records in order (or on ``max_workers`` threads, every task in
a copy of the caller's context so the run and tracing context follow): predict, then —
after one flush, so the collector has every trace — score and log. A ``predict_fn`` or a
scorer that raises is recorded (trace status, an error feedback) and the rest goes on.
"""

from __future__ import annotations

import contextvars
import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from ..attributes import EVALUATION_DATASET, EVALUATION_RECORD_ID, SpanType
from ..exceptions import InvalidParameterError
from .records import (
    MAX_NAME,
    MAX_TEXT,
    NO_OUTPUTS,
    DatasetRef,
    EvalRecord,
    is_json,
    is_name,
    load_records,
    plain,
)
from .result import EvaluationResult, EvaluationRow
from .scorers import Feedback, Scorer, as_scorer
from .traces import is_trace_data, load_traces, trace_row

__all__ = ["check_scorers", "each", "evaluate", "score_row"]


def evaluate(
    data: Any,
    predict_fn: Callable[..., Any] | None = None,
    scorers: Sequence[Any] = (),
    *,
    run_name: str | None = None,
    experiment_name: str | None = None,
    max_workers: int = 1,
) -> EvaluationResult:
    """Run ``predict_fn(**record["inputs"])`` for each record of ``data`` (a dataset, by
    name or as ``get_dataset`` returns it; a list of ``{"inputs", "expectations"}``
    dicts or ``DatasetRecord`` s; a DataFrame) inside a new run, one trace per record,
    then each scorer on the answer; scores go on
    the traces as feedback (source CODE; LLM_JUDGE for judges), their means
    (``<name>/mean``) on the run. An app that streams (a generator, sync or async) is
    drained: its outputs are the list of its items, as ``@spanwise.trace`` records them.

    Without ``predict_fn``, ``data`` is traces the app already made (``search_traces``
    results, ``Trace`` / ``TraceInfo`` objects or their DataFrame): each is scored on its
    root span's inputs and outputs and its expectations, the feedback logged on it; or
    records that carry their ``outputs``: each gets a trace holding them, then is scored.
    Bad arguments raise ``InvalidParameterError`` before anything runs."""
    checked = check_scorers(scorers)
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        raise InvalidParameterError("max_workers must be a whole number of at least 1")
    from .. import provider
    from ..client import Client
    from ..runs.fluent import active_run, log_metrics, start_run

    tags = {"spanwise.evaluation": "true"}
    traces = None
    if predict_fn is None and is_trace_data(data):
        traces = load_traces(data, Client())
        tags["spanwise.evaluation.data"] = "traces"
    else:
        if predict_fn is not None and not callable(predict_fn):
            raise InvalidParameterError("predict_fn must be a function of the records' inputs")
        records, dataset = load_records(data)
        if predict_fn is None:
            if dataset is not None or any(r.outputs is NO_OUTPUTS for r in records):
                raise InvalidParameterError(
                    "give predict_fn to run your app on the records; to score answers you "
                    "already have, give every record its 'outputs', or pass traces as data "
                    "(spanwise.Client().search_traces(...))"
                )
            tags["spanwise.evaluation.data"] = "outputs"
        if dataset is not None:
            tags |= {"spanwise.dataset.name": dataset.name,
                     "spanwise.dataset.id": dataset.dataset_id}  # fmt: skip
    with start_run(run_name=run_name, experiment_name=experiment_name, tags=tags,
                   nested=active_run() is not None) as run:  # fmt: skip
        if traces is not None:
            scored = each(traces, lambda t: score_row(trace_row(t), checked, trace=t), max_workers)
        else:
            predict = _predictor(predict_fn, dataset)
            rows = each(records, predict, max_workers)
            provider.flush(30.0)  # every trace at the collector before feedback is logged on it
            provider.KEPT_TRACES.difference_update(
                int(row.trace_id, 16) for row in rows if row.trace_id is not None
            )
            scored = each(rows, lambda row: score_row(row, checked), max_workers)
        rows = [row for row, _ in scored]
        logs = [log for _, row_logs in scored for log in row_logs]
        if logs:
            Client().log_assessments(logs)
        metrics = _metrics(rows)
        if metrics:
            log_metrics(metrics)
        return EvaluationResult(run.info.run_id, metrics, tuple(rows))


def check_scorers(scorers: Any) -> list[Scorer]:
    """``scorers`` (one function or a list) as ``Scorer`` s with distinct names."""
    if callable(scorers):
        scorers = [scorers]
    if isinstance(scorers, (str, bytes, Mapping)) or not isinstance(scorers, Iterable):
        raise InvalidParameterError("scorers must be a list of scoring functions")
    checked = [as_scorer(s) for s in scorers]
    if len({s.name for s in checked}) < len(checked):
        raise InvalidParameterError(
            "two scorers have the same name; name them with spanwise.scorer"
        )
    return checked


def each(items: Sequence[Any], fn: Callable[[Any], Any], max_workers: int) -> list[Any]:
    if max_workers == 1 or len(items) == 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(min(max_workers, len(items))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
        return [f.result() for f in futures]


# A record whose traced app (``@spanwise.trace``) makes the trace: its metadata, put on
# the first root span started in this context (`_stamp_record`), and that trace's id.
_RECORD: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "spanwise_evaluation_record", default=None
)


def _stamp_record(span: Any) -> None:
    """A start hook (provider.START_HOOKS): the record's metadata on its trace's root."""
    pending = _RECORD.get()
    if pending is None or "trace_id" in pending or getattr(span, "parent", None) is not None:
        return
    from ..spans import set_trace_attributes, trace_attributes

    set_trace_attributes(span, trace_attributes(metadata=pending["metadata"]))
    pending["trace_id"] = format(span.get_span_context().trace_id, "032x")


def _call(predict_fn: Callable[..., Any], inputs: Mapping[str, Any]) -> Any:
    outputs = predict_fn(**inputs)
    if inspect.isawaitable(outputs):  # async def, or an object with async __call__
        outputs = _await(outputs)
    elif inspect.isgenerator(outputs):  # a streaming app: its items, as a traced one records
        outputs = list(outputs)  # (and a traced generator's span ends when it is drained)
    elif inspect.isasyncgen(outputs):
        outputs = _await(_drain(outputs))
    return outputs


async def _drain(stream: Any) -> list[Any]:
    return [item async for item in stream]


def _predictor(predict_fn: Callable[..., Any] | None, dataset: DatasetRef | None) -> Callable:
    """Each record's run as a traced call; without ``predict_fn`` the trace of a record
    holds its given outputs (a span named ``record``)."""
    from opentelemetry import trace as trace_api

    from ..provider import KEEP_NEW_TRACES, START_HOOKS
    from ..spans import start_span, update_current_trace

    name = (
        "record"
        if predict_fn is None
        else (getattr(predict_fn, "__name__", None) or type(predict_fn).__name__)
    )
    traced = getattr(predict_fn, "__spanwise_traced__", False) is True
    if traced and _stamp_record not in START_HOOKS:
        START_HOOKS.append(_stamp_record)

    def predict(record: EvalRecord) -> EvaluationRow:
        # The record's trace carries its scores: kept whatever the sample rate.
        token = KEEP_NEW_TRACES.set(True)
        try:
            return run(record)
        finally:
            KEEP_NEW_TRACES.reset(token)

    def run(record: EvalRecord) -> EvaluationRow:
        row = EvaluationRow(record.record_id, record.inputs, record.expectations)
        metadata = {EVALUATION_RECORD_ID: record.record_id}
        if dataset is not None:
            metadata[EVALUATION_DATASET] = dataset.name
        if traced and not trace_api.get_current_span().get_span_context().is_valid:
            # The app's own span is the trace's root: no second span of the same name.
            pending: dict[str, Any] = {"metadata": metadata}
            token = _RECORD.set(pending)
            try:
                outputs = _call(predict_fn, record.inputs)
            except Exception as exc:  # the app's own failure: on the trace and the row
                return replace(row, trace_id=pending.get("trace_id"),
                               error=f"{type(exc).__name__}: {exc}")  # fmt: skip
            finally:
                _RECORD.reset(token)
            return replace(row, trace_id=pending.get("trace_id"), outputs=outputs)
        try:
            with start_span(name, span_type=SpanType.CHAIN, inputs=dict(record.inputs)) as span:
                if trace_api.get_current_span().is_recording():  # else no trace to score
                    row = replace(row, trace_id=span.trace_id)
                update_current_trace(metadata=metadata)
                given = predict_fn is None
                outputs = record.outputs if given else _call(predict_fn, record.inputs)
                span.set_outputs(outputs)
        except Exception as exc:  # the app's own failure: on the trace and the row
            return replace(row, error=f"{type(exc).__name__}: {exc}")
        return replace(row, outputs=outputs)

    return predict


def _await(awaitable: Any) -> Any:
    """The awaitable's result: on a new event loop, or, when this thread already runs one
    (a notebook, an async caller), on a new loop in a helper thread; either way in a copy
    of this context, so the record's span stays the parent of the app's spans."""
    import asyncio

    async def wait() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wait())
    with ThreadPoolExecutor(1) as helper:
        return helper.submit(contextvars.copy_context().run, asyncio.run, wait()).result()


def _results(value: Any, default_name: str) -> list[Feedback]:
    """The scorer's answer as feedback, checked as the collector will check it: a value
    it would refuse fails this scorer alone (the batch of assessments is all or nothing)."""
    if isinstance(value, Feedback):
        results = [value]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, Feedback) for v in value):
        results = list(value)  # [] has nothing to say, like None
    else:
        results = [Feedback(value)]
    checked = []
    for fb in results:
        fb = replace(fb, name=fb.name or default_name, value=plain(fb.value))
        if not is_name(fb.name):
            raise ValueError(f"feedback name must be text of 1 to {MAX_NAME} characters")
        if not is_json(fb.value):
            raise TypeError(
                f"{fb.name}: a {type(fb.value).__name__} is not a score (give a bool, a finite "
                "number, text, None, or JSON lists/dicts of them; up to 64 KiB)"
            )
        if fb.rationale is not None and not isinstance(fb.rationale, str):
            raise TypeError(f"{fb.name}: rationale must be text")
        checked.append(fb)
    return checked


def score_row(
    row: EvaluationRow, scorers: list[Scorer], trace: Any = None
) -> tuple[EvaluationRow, list[dict]]:
    """The row with its scores, and the assessments to log on its trace (the caller sends
    them in batches: one request per 1,000, not one per score). Without ``trace`` the row
    is a record just run: its expectations are logged on its new trace too."""
    if row.trace_id is None:
        return row, []
    tid = row.trace_id
    logs = [] if trace is not None else [
        _assessment(tid, "expectation", key, plain(value), "dataset")
        for key, value in row.expectations.items()
        if value is not None  # nothing expected: the collector stores no empty expectation
    ]  # fmt: skip
    if row.error is not None or not scorers:
        return row, logs
    available: dict[str, Any] = {
        "inputs": row.inputs, "outputs": row.outputs, "expectations": row.expectations,
    }  # fmt: skip
    if trace is None and any("trace" in s.wants for s in scorers):
        from ..client import Client

        trace = Client().get_trace(tid)
    available["trace"] = trace
    scores: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for s in scorers:
        try:
            results = _results(s(**available), s.name)
            taken = [fb.name for fb in results if fb.name in scores]
            if taken:  # its mean would mix two scorers' values
                raise ValueError(f"another scorer already gave feedback named {taken[0]!r}")
        except Exception as exc:  # the scorer's own failure: an error feedback
            errors[s.name] = f"{type(exc).__name__}: {exc}"
            logs.append(_assessment(tid, "feedback", s.name, None, s.name, error=exc,
                                    source_type=s.source_type))  # fmt: skip
            continue
        for fb in results:
            scores[fb.name] = fb.value
            if fb.value is not None:  # None: nothing to say (the scorer does not apply)
                logs.append(_assessment(tid, "feedback", fb.name, fb.value, s.name, fb.rationale,
                                        fb.metadata, source_type=s.source_type))  # fmt: skip
    return replace(row, scores=scores, score_errors=errors), logs


def _assessment(
    trace_id: str, kind: str, name: str, value: Any, source_id: str,
    rationale: str | None = None, metadata: Any = None, error: BaseException | None = None,
    source_type: str = "CODE",
) -> dict[str, Any]:  # fmt: skip
    return {
        "trace_id": trace_id, "kind": kind, "name": name, "value": value,
        "source": {"source_type": source_type, "source_id": source_id},
        "rationale": _clip(rationale),
        "metadata": {str(k): _clip(str(v)) for k, v in metadata.items()} if metadata else None,
        "error": {"error_code": type(error).__name__, "error_message": _clip(str(error))}
        if error is not None else None,
    }  # fmt: skip


def _clip(text: str | None) -> str | None:
    """Text cut to what the collector keeps (longer is refused, with the whole batch)."""
    if text is None or len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 1] + "…"


def _metrics(rows: list[EvaluationRow]) -> dict[str, float]:
    """``<name>/mean`` of every feedback with numeric or true/false values (true = 1)."""
    values: dict[str, list[float]] = {}
    for row in rows:
        for name, value in row.scores.items():
            if isinstance(value, (bool, int, float)) and math.isfinite(float(value)):
                values.setdefault(name, []).append(float(value))
    metrics = {f"{name}/mean": sum(v) / len(v) for name, v in values.items()}
    metrics["evaluation/error_count"] = float(sum(1 for r in rows if r.error is not None))
    return metrics
