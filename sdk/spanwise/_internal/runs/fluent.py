"""The fluent run API, MLflow's names: ``with spanwise.start_run(): spanwise.log_metric(...)``.

Logging calls validate locally, update the run's local state and queue an event
for the sender thread; nothing here waits for the network except artifact upload
and search. Params are immutable: logging a different value for a key this
process already logged raises ``InvalidParameterError`` (as MLflow does).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from numbers import Real
from typing import Any

from ..exceptions import InvalidParameterError, SpanwiseError
from . import ids
from .notebook import follow_cells, set_active
from .sender import EXIT_HOOKS, SENDER
from .state import ACTIVE, ENDED, LIVE, ActiveRun, RunState, current, remember_ended
from .types import Experiment

__all__ = [
    "active_run",
    "end_run",
    "flush",
    "get_experiment_name",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
]

DEFAULT_EXPERIMENT = "Default"
MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
MAX_NAME = 500
TERMINAL = ("FINISHED", "FAILED", "KILLED")

_experiment = {"name": os.environ.get("SPANWISE_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT}
_created: set[str] = set()
_lock = threading.Lock()
_exit_hook = {"registered": False}
_last: dict[str, RunState] = {}  # "run": the run this process started last


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _check_key(key: Any, what: str) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise InvalidParameterError(f"{what} key must be a string of 1 to {MAX_KEY} characters, "
                                    f"got {key!r}")  # fmt: skip
    return key


def _ensure_experiment(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise InvalidParameterError(f"experiment name must have 1 to {MAX_NAME} characters")
    experiment_id = ids.experiment_id_for(name)
    with _lock:
        known = experiment_id in _created
        _created.add(experiment_id)
    if not known:
        event = {"experiment_id": experiment_id, "name": name, "creation_time_ms": _now_ms()}
        SENDER.put(("experiment", ids.new_event_id(), event))
    return experiment_id


def set_experiment(experiment_name: str) -> Experiment:
    """Make ``experiment_name`` the experiment of new runs (created if missing)."""
    experiment_id = _ensure_experiment(experiment_name)
    _experiment["name"] = experiment_name
    return Experiment(experiment_id=experiment_id, name=experiment_name)


def get_experiment_name() -> str:
    return _experiment["name"]


def start_run(
    run_name: str | None = None,
    experiment_name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    nested: bool = False,
    description: str | None = None,
    run_id: str | None = None,
) -> ActiveRun:
    """Start a run and make it active in this context; use it as a context manager.

    The ``with`` block ends the run FINISHED, or FAILED if the block raises (the
    exception propagates). ``nested=True`` starts a child of the active run (in
    the parent's experiment unless ``experiment_name`` is given); without it,
    starting a run while one is active raises ``SpanwiseError``.

    ``run_id`` resumes that run instead (as MLflow's): it is RUNNING again and active
    here; a run another process logged is read from the collector's query API
    (``SPANWISE_API_URL``), so its params stay immutable. ``run_name`` and
    ``experiment_name`` are not used then; ``tags`` are set on it.
    """
    parent = current()
    if parent is not None and not nested:
        raise SpanwiseError(
            f"run {parent.run_id} is already active; end it with spanwise.end_run() or "
            "start this run with nested=True"
        )
    if run_id is not None:
        return _resume(run_id, tags)
    if experiment_name is not None:
        experiment_id = _ensure_experiment(experiment_name)
    elif parent is not None:  # a nested run stays in its parent's experiment
        experiment_id = parent.experiment_id
    else:
        experiment_id = _ensure_experiment(_experiment["name"])
    if run_name is not None and (not isinstance(run_name, str) or len(run_name) > MAX_KEY):
        raise InvalidParameterError(f"run_name must be a string of at most {MAX_KEY} characters")
    all_tags = dict(tags or {})
    if description is not None:
        all_tags["mlflow.note.content"] = description
    checked = {_check_key(k, "tag"): _tag_text(k, v) for k, v in all_tags.items()}
    state = RunState(
        run_id=ids.new_run_id(),
        experiment_id=experiment_id,
        run_name=run_name or ids.run_name(),
        start_time=_now_ms(),
        parent_run_id=parent.run_id if parent is not None else "",
    )
    return _activate(state, checked)


def _activate(state: RunState, tags: Mapping[str, str]) -> ActiveRun:
    """``state`` live, sent, active in this context and tagged: a started or resumed run."""
    _register_exit_hook()
    with _lock:
        LIVE[state.run_id] = state
        _last["run"] = state
    SENDER.put(("run", ids.new_event_id(), state.snapshot(ids.next_version())))
    follow_cells()
    set_active((*ACTIVE.get(), state))
    for key, value in tags.items():
        _tag(state, key, value)
    return ActiveRun(state)


def _resume(run_id: Any, tags: Mapping[str, Any] | None) -> ActiveRun:
    checked = {_check_key(k, "tag"): _tag_text(k, v) for k, v in (tags or {}).items()}
    if any(state.run_id == run_id for state in ACTIVE.get()):
        raise SpanwiseError(f"run {run_id} is already active here")
    with _lock:
        state = LIVE.get(run_id) or ENDED.pop(run_id, None)
    if state is None:
        state = _fetched(run_id)
    with state.lock:
        state.status, state.end_time = "RUNNING", None
    return _activate(state, checked)


def _fetched(run_id: Any) -> RunState:
    """A run this process does not know, as the collector has it."""
    from ..client import Client

    if not isinstance(run_id, str) or not run_id:
        raise InvalidParameterError(f"run_id must be a run's id, got {run_id!r}")
    flush()  # what this process queued for it is part of the run
    run = Client().get_run(run_id)
    if run is None:
        raise InvalidParameterError(f"run {run_id!r} not found: nothing to resume")
    info, data = run.info, run.data
    state = RunState(
        run_id=info.run_id,
        experiment_id=info.experiment_id,
        run_name=info.run_name,
        start_time=info.start_time,
        parent_run_id=info.parent_run_id or "",
    )
    state.params.update(data.params)
    state.tags.update(data.tags)
    # Latest values only (steps are not in a Run): any point logged from here on is newer.
    state.metrics.update({k: (v, -(2**63), 0) for k, v in data.metrics.items()})
    return state


def _end(state: RunState, status: str) -> None:
    if status not in TERMINAL:
        raise InvalidParameterError(f"status must be one of {', '.join(TERMINAL)}, got {status!r}")
    stack = ACTIVE.get()
    if state in stack:
        index = stack.index(state)
        set_active(stack[:index])
        # The runs nested in it and still open here end with it: a child started without
        # ``with`` stayed active and RUNNING after its parent's block had ended.
        for nested in reversed(stack[index + 1 :]):
            _terminate(nested, status)
    _terminate(state, status)


def _terminate(state: RunState, status: str) -> None:
    with _lock:
        if LIVE.pop(state.run_id, None) is None:
            return  # already ended
        remember_ended(state)
    state.status, state.end_time = status, _now_ms()
    SENDER.put(("run", ids.new_event_id(), state.snapshot(ids.next_version())))


def end_run(status: str = "FINISHED") -> None:
    """End the active run of this context (no-op without one)."""
    state = current()
    if state is not None:
        _end(state, status)


def active_run() -> ActiveRun | None:
    state = current()
    return ActiveRun(state) if state is not None else None


def last_active_run() -> ActiveRun | None:
    """The active run of this context, else the run this process started last (ended or
    not), as MLflow's ``last_active_run``: what a script reads after ``autolog`` or a
    ``with start_run()`` block has ended it. ``None`` if this process started none."""
    state = current() or _last.get("run")
    return ActiveRun(state) if state is not None else None


def _run_for_logging(run_id: str | None = None) -> RunState:
    """The run to log to: ``run_id``'s (a run this process started), else the active one,
    else a new one (MLflow starts a run implicitly; so do we)."""
    if run_id is not None:
        return _started_here(run_id)
    state = current()
    if state is None:
        start_run()
        state = current()
        assert state is not None
    return state


def _started_here(run_id: Any) -> RunState:
    with _lock:
        state = LIVE.get(run_id) or ENDED.get(run_id)
    if state is None:
        raise InvalidParameterError(
            f"run_id {run_id!r} is not a run this process started (or one of the last "
            f"{len(ENDED)} it ended): log to it from the process that runs it, or make it "
            "active with spanwise.start_run() there"
        )
    return state


def _param_text(key: Any, value: Any) -> str:
    _check_key(key, "param")
    text = str(value)
    if len(text) > MAX_PARAM_VALUE:
        raise InvalidParameterError(
            f"param {key!r}: value has {len(text)} characters; the limit is {MAX_PARAM_VALUE}"
        )
    return text


def _new_params(state: RunState, texts: Mapping[str, str]) -> dict[str, str]:
    """The params not logged yet; raises (logging nothing) if one changes a logged value."""
    new = {}
    for key, text in texts.items():
        old = state.params.get(key)
        if old is None:
            new[key] = text
        elif old != text:
            raise InvalidParameterError(
                f"Changing param values is not allowed. Param with key={key!r} was already "
                f"logged with value={old!r} for run ID={state.run_id!r}. "
                f"Attempted logging new value {text!r}."
            )
    return new


def log_param(key: str, value: Any, run_id: str | None = None) -> Any:
    """Log a param (stored as ``str(value)``); a different value for a logged key raises.
    ``run_id``: a run this process started, instead of the active one (e.g. from a worker
    thread, which does not see the run its parent made active)."""
    log_params({key: value}, run_id=run_id)
    return value


def log_params(params: Mapping[str, Any], run_id: str | None = None) -> None:
    """Log several params: all of them, or none if one is invalid (as MLflow's batch)."""
    texts = {key: _param_text(key, value) for key, value in params.items()}
    state = _run_for_logging(run_id)
    with state.lock:
        new = _new_params(state, texts)
        state.params.update(new)
    for key, text in new.items():
        SENDER.put(("param", ids.new_event_id(), state.run_id, key, text))


def _metric_value(key: Any, value: Any) -> float:
    if key.__class__ is not str or not 0 < len(key) <= MAX_KEY:
        _check_key(key, "metric")
    if not isinstance(value, Real):
        try:
            value = float(value)  # numpy scalars, Decimal
        except (TypeError, ValueError):
            raise InvalidParameterError(f"metric {key!r}: {value!r} is not a number") from None
    return float(value)


INT64 = (-(2**63), 2**63 - 1)


def _whole(what: str, value: Any, exact: bool = True) -> int:
    """A step or timestamp: a 64-bit whole number (the wire and the store hold Int64).
    Checked here because the sender builds the batch later, where one bad value would
    lose every event sent with it. A step of 1.5 is refused rather than stored as 1;
    a timestamp (``exact=False``) keeps its whole milliseconds (``time.time() * 1000``)."""
    try:
        whole = int(value)
        fractional = exact and not isinstance(value, str) and whole != value
    except (TypeError, ValueError, OverflowError):
        whole, fractional = None, True
    if fractional or whole is None or not INT64[0] <= whole <= INT64[1]:
        raise InvalidParameterError(
            f"{what} must be a whole number between -2**63 and 2**63-1, got {value!r}"
        )
    return whole


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log one point: ``value`` (NaN and ±inf allowed) at ``step`` (default 0) and
    ``timestamp`` (epoch ms, default now), to the active run or ``run_id`` (a run this
    process started). Queued, not sent: costs microseconds."""
    value = _metric_value(key, value)
    step = 0 if step is None else _whole("step", step)
    ts = (
        time.time_ns() // 1_000_000
        if timestamp is None
        else _whole("timestamp", timestamp, exact=False)
    )
    if run_id is not None:
        state = _started_here(run_id)
    else:
        stack = ACTIVE.get()
        state = stack[-1] if stack else _run_for_logging()
    _put_metric(state, key, value, step, ts)


def _put_metric(state: RunState, key: str, value: float, step: int, ts: int) -> None:
    latest = state.metrics.get(key)
    if latest is None or (step, ts) >= (latest[1], latest[2]):
        state.metrics[key] = (value, step, ts)
    SENDER.put(("metric", ids.new_event_id(), state.run_id, key, value, step, ts))


def log_metrics(metrics: Mapping[str, float], step: int | None = None,
                timestamp: int | None = None, run_id: str | None = None) -> None:  # fmt: skip
    """Log several metrics at one step: all of them, or none if one is invalid."""
    values = {key: _metric_value(key, value) for key, value in metrics.items()}
    step = 0 if step is None else _whole("step", step)
    ts = _now_ms() if timestamp is None else _whole("timestamp", timestamp, exact=False)
    state = _run_for_logging(run_id)
    for key, value in values.items():
        _put_metric(state, key, value, step, ts)


RUN_NAME_TAG = "mlflow.runName"


def _tag_text(key: str, value: Any) -> str:
    text = str(value)
    # This tag renames the run: a name the collector refuses would lose the batch.
    limit = MAX_KEY if key == RUN_NAME_TAG else MAX_TAG_VALUE
    if len(text) > limit:
        raise InvalidParameterError(
            f"tag {key!r}: value has {len(text)} characters; the limit is {limit}"
        )
    return text


def _tag(state: RunState, key: str, text: str) -> None:
    with state.lock:
        state.tags[key] = text
    SENDER.put(("tag", ids.new_event_id(), state.run_id, key, text, ids.next_version()))
    if key == RUN_NAME_TAG and text and text != state.run_name:  # renames it, as in MLflow
        state.run_name = text
        SENDER.put(("run", ids.new_event_id(), state.snapshot(ids.next_version())))


def set_tag(key: str, value: Any, run_id: str | None = None) -> None:
    """Set a tag on the active run (or ``run_id``'s); setting it again overwrites it."""
    set_tags({key: value}, run_id=run_id)


def set_tags(tags: Mapping[str, Any], run_id: str | None = None) -> None:
    """Set several tags: all of them, or none if one is invalid."""
    texts = {_check_key(key, "tag"): _tag_text(key, value) for key, value in tags.items()}
    state = _run_for_logging(run_id)
    for key, text in texts.items():
        _tag(state, key, text)


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Upload a file to the active run's artifacts (under ``artifact_path`` if given).

    A missing file raises; if the collector cannot take it, a warning is logged.
    """
    from .artifacts import upload_file

    upload_file(_run_for_logging().run_id, local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Upload every file under ``local_dir``, keeping the relative layout."""
    from .artifacts import upload_dir

    upload_dir(_run_for_logging().run_id, local_dir, artifact_path)


def flush(timeout: float = 10.0) -> bool:
    """Deliver every queued run event; ``False`` on timeout or if some were dropped."""
    return SENDER.flush(timeout)


def _register_exit_hook() -> None:
    with _lock:
        if _exit_hook["registered"]:
            return
        _exit_hook["registered"] = True
    # The sender's own exit hook runs it, then delivers everything in one bounded wait.
    EXIT_HOOKS.append(_end_live_runs_at_exit)


def _end_live_runs_at_exit() -> None:
    # Runs still open at exit end FINISHED (as in MLflow).
    try:
        for state in list(LIVE.values()):
            _end(state, "FINISHED")
    except Exception:
        import logging

        logging.getLogger("spanwise").debug("ending runs at exit failed", exc_info=True)
