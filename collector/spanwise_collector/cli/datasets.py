"""``spanwise datasets list|get|create|delete|import|export``: evaluation datasets —
records of inputs and expected outputs to evaluate an app against."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

import click

from .common import api_errors, json_option, key_values, print_json, url_option, when
from .confirm import confirm, yes_option

_BATCH = 1_000  # records per request (the collector's limit)


@click.group()
def datasets() -> None:
    """Evaluation datasets: inputs to run your app on and what it should produce.

    Fill one from a JSONL file (`spanwise datasets import qa-golden cases.jsonl --create`,
    one {"inputs": {...}, "expectations": {...}} per line) or from code
    (`Client().merge_records`), then evaluate with `spanwise.evaluate(data="qa-golden", ...)`.
    """


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dataset_dict(d: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(d)


@datasets.command("list")
@url_option
@json_option
@api_errors
def list_cmd(url: str, as_json: bool) -> None:
    """Every dataset, by name, with its record count."""
    from spanwise import Client

    found = Client(url).list_datasets()
    if as_json:
        print_json([_dataset_dict(d) for d in found])
        return
    from .render import print_table, rows_table

    rows = [{"name": d.name, "records": d.record_count, "description": _short(d.description or ""),
             "tags": ", ".join(f"{k}={v}" for k, v in d.tags.items()),
             "updated": when(d.last_update_time_ms), "dataset_id": d.dataset_id}
            for d in found]  # fmt: skip
    columns = ["name", "records", "description", "tags", "updated", "dataset_id"]
    print_table(rows_table(rows, columns, title=f"{len(rows)} dataset(s)"),
                ("dataset_id", "tags", "description"))  # fmt: skip


@datasets.command("get")
@click.argument("name")
@click.option("--records", "max_records", default=20, show_default=True,
              help="Show this many records (0: none).")  # fmt: skip
@url_option
@json_option
@api_errors
def get_cmd(name: str, max_records: int, url: str, as_json: bool) -> None:
    """One dataset and its first records."""
    from spanwise import Client, SpanwiseAPIError

    client = Client(url)
    found = client.get_dataset(name)
    if found is None:
        raise SpanwiseAPIError(404, f"no dataset named {name!r} (spanwise datasets list)")
    records = client.get_dataset_records(name, max_results=max_records) if max_records > 0 else []
    if as_json:
        print_json({**_dataset_dict(found), "records": [_dataset_dict(r) for r in records]})
        return
    from rich.text import Text

    from .render import console, print_table, rows_table

    out = console()
    out.print(Text.assemble((found.name, "bold"),
                            f"  {found.dataset_id}  {found.record_count} record(s)"))  # fmt: skip
    if found.description:
        out.print(found.description)
    if found.tags:
        out.print("tags: " + ", ".join(f"{k}={v}" for k, v in found.tags.items()))
    if records:
        rows = [{"record_id": r.record_id, "inputs": _short(dict(r.inputs)),
                 "expectations": _short(dict(r.expectations)) if r.expectations else "",
                 "source_trace_id": r.source_trace_id} for r in records]  # fmt: skip
        title = f"first {len(rows)} of {found.record_count}"
        print_table(rows_table(rows, ["record_id", "inputs", "expectations", "source_trace_id"],
                               title=title), ("source_trace_id", "record_id"))  # fmt: skip


@datasets.command("create")
@click.argument("name")
@click.option("--description", default=None, help="What the records are for.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@url_option
@json_option
@api_errors
def create_cmd(name: str, description: str | None, tags: tuple[str, ...], url: str,
               as_json: bool) -> None:  # fmt: skip
    """Create an empty dataset NAME."""
    from spanwise import Client

    made = Client(url).create_dataset(name, description=description, tags=key_values(tags, "--tag"))
    if as_json:
        print_json(_dataset_dict(made))
    else:
        click.echo(f"created dataset {made.name!r}: {made.dataset_id}")


@datasets.command("delete")
@click.argument("name")
@yes_option
@url_option
@api_errors
def delete_cmd(name: str, yes: bool, url: str) -> None:
    """Delete dataset NAME and its records."""
    from spanwise import Client, SpanwiseAPIError

    client = Client(url)
    found = client.get_dataset(name)
    if found is None:
        raise SpanwiseAPIError(404, f"no dataset named {name!r} (spanwise datasets list)")
    if not yes:
        confirm(f"Delete dataset {name!r} and its {found.record_count} record(s)?")
    client.delete_dataset(name)
    click.echo(f"deleted dataset {name!r}")


def _read_records(stream: IO[str], source: str) -> list[dict[str, Any]]:
    """Records from JSONL (one object per line) or one JSON array; every line checked
    before anything is sent."""
    text = stream.read()
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError as err:
            raise click.UsageError(f"{source}: not valid JSON: {err}") from None
        numbered: Iterator[tuple[int, Any]] = enumerate(items, 1)
        unit = "item"
    else:
        numbered = _jsonl(text, source)
        unit = "line"
    records = []
    for at, item in numbered:
        if not isinstance(item, dict) or not isinstance(item.get("inputs"), dict):
            raise click.UsageError(
                f'{source}, {unit} {at}: expected an object with "inputs": {{...}} (and '
                'optionally "expectations", "tags", "record_id")'
            )
        records.append(item)
    if not records:
        raise click.UsageError(f"{source}: no records")
    return records


def _jsonl(text: str, source: str) -> Iterator[tuple[int, Any]]:
    for at, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield at, json.loads(line)
        except ValueError as err:
            raise click.UsageError(f"{source}, line {at}: not valid JSON: {err}") from None


def _check_missing(client: Any, name: str, create: bool) -> bool:
    """Whether NAME must be made (``--create``); an error if it is missing without it."""
    from spanwise import SpanwiseAPIError

    if client.get_dataset(name) is not None:
        return False
    if not create:
        raise SpanwiseAPIError(404, f"no dataset named {name!r}; add --create to make it")
    return True


@contextlib.contextmanager
def _made_if_missing(client: Any, name: str, missing: bool) -> Iterator[None]:
    """NAME made for the block when ``missing``, and removed again if the block fails
    before adding anything (records refused): a refused command leaves no dataset."""
    if not missing:
        yield
        return
    client.create_dataset(name)
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one to report
            found = client.get_dataset(name)
            if found is not None and found.record_count == 0:
                client.delete_dataset(name)
        raise


@datasets.command("import")
@click.argument("name")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--create", is_flag=True, help="Create the dataset if there is none.")
@url_option
@json_option
@api_errors
def import_cmd(name: str, file: IO[str], create: bool, url: str, as_json: bool) -> None:
    """Add the records of FILE (JSONL or a JSON array; - reads stdin) to NAME; records
    with the same inputs (or record_id) as stored ones update them."""
    from spanwise import Client

    records = _read_records(file, "stdin" if file is sys.stdin else file.name)
    client = Client(url)
    missing = _check_missing(client, name, create)
    inserted = updated = 0
    from rich.progress import Progress

    from .render import console

    with (
        _made_if_missing(client, name, missing),
        Progress(console=console(stderr=True), transient=True) as progress,
    ):
        task = progress.add_task("importing", total=len(records))
        for start in range(0, len(records), _BATCH):
            batch = records[start : start + _BATCH]
            result = client._request("POST", f"/api/v1/datasets/{_quoted(name)}/records",
                                     body={"records": batch})  # fmt: skip
            inserted += result["inserted"]
            updated += result["updated"]
            progress.advance(task, len(batch))
    total = result["dataset"]["record_count"]
    if as_json:
        print_json({"inserted": inserted, "updated": updated, "record_count": total})
    else:
        click.echo(f"{name}: {inserted} record(s) added, {updated} updated, {total} in all")


def _quoted(name: str) -> str:
    import urllib.parse

    return urllib.parse.quote(name, safe="")


@datasets.command("export")
@click.argument("name")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
@url_option
@api_errors
def export_cmd(name: str, file: IO[str], url: str) -> None:
    """Write NAME's records as JSONL to FILE (default: stdout), oldest first; what
    `spanwise datasets import` reads."""
    import dataclasses

    from spanwise import Client

    for record in Client(url).get_dataset_records(name):
        row = dataclasses.asdict(record)
        row = {k: row[k] for k in ("record_id", "inputs", "expectations", "tags",
                                   "source_trace_id") if row[k]}  # fmt: skip
        file.write(json.dumps(row, ensure_ascii=False) + "\n")


@datasets.command("add-traces")
@click.argument("name")
@click.option(
    "--filter",
    "filter_string",
    default=None,
    help="Which traces, in the search's filter language (e.g. \"feedback.helpful = 'false'\").",
)
@click.option("--since", default=None, help="Only traces since then (7d, 2026-11-01, …).")
@click.option("--project", default=None, help="Only this project's traces.")
@click.option(
    "--max",
    "max_traces",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="At most this many traces (newest first).",
)
@click.option("--create", is_flag=True, help="Create the dataset if there is none.")
@url_option
@json_option
@api_errors
def add_traces_cmd(name: str, filter_string: str | None, since: str | None, project: str | None,
                   max_traces: int, create: bool, url: str, as_json: bool) -> None:  # fmt: skip
    """Add traces to NAME as records: each trace's root inputs, its expectations, its id
    as the source (e.g. the traces users marked unhelpful, as regression cases)."""
    from spanwise import Client, SpanwiseAPIError

    client = Client(url)
    missing = _check_missing(client, name, create)
    found: list = []
    token = None
    while len(found) < max_traces:
        page = client.search_traces(filter_string, max_results=min(100, max_traces - len(found)),
                                    page_token=token, project=project, since=since,
                                    include_spans=True)  # fmt: skip
        found.extend(page)
        token = page.token
        if not token:
            break
    if not found:
        raise SpanwiseAPIError(404, "no trace matches; nothing added")
    with _made_if_missing(client, name, missing):
        dataset = client.merge_records(name, found)
    if as_json:
        print_json({"traces": len(found), "record_count": dataset.record_count})
    else:
        click.echo(f"{name}: {len(found)} trace(s) merged, {dataset.record_count} record(s) in all")
