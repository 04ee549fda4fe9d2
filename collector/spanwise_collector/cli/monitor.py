"""``spanwise monitor``: score new traces with your scorers, now and then or on a timer."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from .common import api_errors, json_option, print_json, url_option


def load_scorers(specs: tuple[str, ...], model: str | None = None) -> list[Any]:
    """``module:name`` or ``path/to/file.py:name`` → the scorer (or list of scorers)
    that name holds; a judge maker such as ``spanwise.judges:safety`` is called (with
    ``model``) to make its judge. A clear error for anything that does not load."""
    found: list[Any] = []
    for spec in specs:
        where, sep, attr = spec.rpartition(":")
        if not sep or not where or not attr:
            raise click.BadParameter(
                f"{spec!r}: expected MODULE:NAME or FILE.py:NAME", param_hint="SCORER"
            )
        module = _module(where, spec)
        try:
            value = getattr(module, attr)
        except AttributeError:
            raise click.BadParameter(
                f"{spec!r}: {where} has no {attr!r}", param_hint="SCORER"
            ) from None
        if getattr(value, "__spanwise_judge_factory__", False):
            value = _make_judge(value, spec, model)
        found.extend(value if isinstance(value, (list, tuple)) else [value])
    return found


def _make_judge(factory: Any, spec: str, model: str | None) -> Any:
    try:
        return factory(model=model)
    except TypeError as exc:  # a maker that needs more than a model (guidelines)
        raise click.BadParameter(
            f"{spec!r} needs arguments ({exc}); make the judge in a file of yours and "
            "name that instead (FILE.py:NAME)",
            param_hint="SCORER",
        ) from None


def _module(where: str, spec: str) -> Any:
    try:
        if where.endswith(".py"):
            path = Path(where)
            if not path.is_file():
                raise click.BadParameter(f"{spec!r}: no file {where}", param_hint="SCORER")
            name = f"spanwise_scorers_{abs(hash(path.resolve()))}"
            loader = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(loader)  # type: ignore[arg-type]
            sys.modules[name] = module
            loader.loader.exec_module(module)  # type: ignore[union-attr]
            return module
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")  # modules of the directory the command runs in
        return importlib.import_module(where)
    except click.BadParameter:
        raise
    except Exception as exc:  # the user's module failed to import: say which and why
        raise click.BadParameter(
            f"{spec!r}: importing {where} failed: {type(exc).__name__}: {exc}",
            param_hint="SCORER",
        ) from None


@click.command()
@click.argument("scorer_specs", metavar="SCORER...", nargs=-1, required=True)
@click.option("--filter", "filter_string", help="Only traces matching this trace filter.")
@click.option("--project", help="Project to read (default: the collector's default).")
@click.option("--since", default="1h", show_default=True,
              help="Look at traces started after this (ISO time or 30m, 12h, 7d).")  # fmt: skip
@click.option("--sample", "sample_rate", type=float, default=1.0, show_default=True,
              help="Fraction of traces to score, chosen by trace id (0.1 = one in ten).")  # fmt: skip
@click.option("--name", help="The monitor's name: traces get the tag spanwise.scored.NAME "
              "(default: the scorers' names joined by +).")  # fmt: skip
@click.option("--max", "max_traces", type=click.IntRange(min=1), default=100, show_default=True,
              help="At most this many traces per pass.")  # fmt: skip
@click.option("--settle", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds a trace must have ended before it is scored.")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Traces scored at once (LLM judges wait on the network).")  # fmt: skip
@click.option("--model", help="The model of ready-made judges named as SCORER, e.g. "
              "anthropic:/claude-haiku-4-5 (default: OpenAI's gpt-4o-mini).")  # fmt: skip
@click.option("--every", type=click.FloatRange(min=1), default=None,
              help="Run a pass every this many seconds until Ctrl-C (default: one pass).")  # fmt: skip
@url_option
@json_option
@api_errors
def monitor(scorer_specs: tuple[str, ...], filter_string: str | None, project: str | None,
            since: str, sample_rate: float, name: str | None, max_traces: int, settle: float,
            workers: int, model: str | None, every: float | None, url: str,
            as_json: bool) -> None:  # fmt: skip
    """Score new traces with your scorers and log the scores as feedback (online evaluation).

    SCORER is MODULE:NAME or FILE.py:NAME: a scoring function (as for spanwise.evaluate,
    asking for inputs, outputs, expectations or trace), a spanwise.make_judge judge, a
    list of them, or a ready-made judge such as spanwise.judges:safety (with --model).
    A scored trace is tagged spanwise.scored.NAME, so each trace is scored once however
    often this runs.

    \b
    Examples:
      spanwise monitor checks.py:not_empty --since 1d
      spanwise monitor spanwise.judges:safety spanwise.judges:relevance_to_query --every 60
      spanwise monitor myapp.evals:judges --filter "span.model = 'gpt-4o'" --sample 0.1 --every 60
    """
    import spanwise
    from spanwise import InvalidParameterError

    try:
        scorers = load_scorers(scorer_specs, model)
    except InvalidParameterError as err:  # e.g. a bad --model
        raise click.BadParameter(str(err), param_hint="--model") from None
    client = spanwise.Client(url)
    try:
        while True:
            try:
                result = spanwise.score_traces(
                    scorers, filter_string, name=name, project=project, since=since,
                    sample_rate=sample_rate, max_traces=max_traces, settle_seconds=settle,
                    max_workers=workers, client=client,
                )  # fmt: skip
            except InvalidParameterError as err:
                raise click.UsageError(str(err)) from None
            except spanwise.SpanwiseAPIError as err:
                if every is None or err.status in (400, 401, 403):
                    raise  # a bad filter or key does not get better by waiting
                # A collector restarting or busy: the next pass picks up where this stopped.
                click.secho(f"{_now()} pass failed, retrying in {every:g}s: {err}",
                            fg="yellow", err=True)  # fmt: skip
            else:
                _report(result, as_json, every is None)
            if every is None:
                return
            time.sleep(every)
    except KeyboardInterrupt:  # Ctrl-C: a pass cut short leaves its traces for the next
        click.echo(f"{_now()} stopped", err=True)


def _report(result: Any, as_json: bool, once: bool) -> None:
    from spanwise._internal.evaluation.monitor import describe

    if as_json:
        if once:
            print_json(describe(result))
        else:  # one line per pass, for a log
            click.echo(json.dumps(describe(result), default=str))
        return
    if once and result.rows:
        from .render import print_table, rows_table

        names = list(dict.fromkeys(k for r in result.rows for k in (*r.scores, *r.score_errors)))
        table = [
            {"trace_id": r.trace_id, **{k: _score_text(r, k) for k in names}, "error": r.error}
            for r in result.rows
        ]
        print_table(rows_table(table, ["trace_id", *names, "error"], title="scored traces"))
    problems = []
    if result.scorer_errors:
        problems.append(f"{result.scorer_errors} with a scorer error")
    if result.app_errors:
        problems.append(f"{result.app_errors} ended in an app error")
    detail = f" ({', '.join(problems)})" if problems else ""
    click.echo(
        f"{_now()} {result.marker}: scored {len(result.rows)} trace(s){detail}, "
        f"{len(result.waiting)} not ended yet"
    )


def _score_text(row: Any, name: str) -> str | None:
    if name in row.score_errors:
        return f"error: {row.score_errors[name]}"
    return None if row.scores.get(name) is None else str(row.scores[name])


def _now() -> str:
    return time.strftime("%H:%M:%S")
