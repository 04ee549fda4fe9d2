"""``spanwise assessments list|feedback|expectation|delete``: feedback and expectations
of a trace (``spanwise traces get`` shows them under the tree too)."""

from __future__ import annotations

import json
from typing import Any

import click

from .common import api_errors, json_option, key_values, path_id, print_json, url_option

ASSESSMENT_DROP_FIRST = ("created", "id", "rationale", "source")


@click.group()
def assessments() -> None:
    """Feedback and expectations of traces: log, list, delete.

    Find traces by feedback with `spanwise traces search "feedback.helpful = 'false'"`.
    """


def _value(text: str) -> Any:
    """VALUE as JSON when it is JSON (true, 0.8, "x", [..], {..}), else as text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _source(source_type: str, source_id: str | None) -> Any:
    from spanwise import AssessmentSource

    return AssessmentSource(source_type, source_id)


def _print(assessment: Any, as_json: bool) -> None:
    if as_json:
        import dataclasses

        print_json(dataclasses.asdict(assessment))
    else:
        click.echo(f"logged {assessment.kind} {assessment.name!r}: {assessment.assessment_id}")


_source_type = click.option(
    "--source-type",
    type=click.Choice(["HUMAN", "LLM_JUDGE", "CODE"], case_sensitive=False),
    default="HUMAN",
    show_default=True,
    help="Who assessed.",
)
_source_id = click.option("--source-id", default=None, help="A user, judge model or script name.")
_span = click.option("--span", "span_id", default=None, help="About this span of the trace.")
_meta = click.option(
    "--metadata", "metadata", multiple=True, metavar="KEY=VALUE", help="Repeatable."
)


@assessments.command("feedback")
@click.argument("trace_id")
@click.argument("name")
@click.argument("value")
@_source_type
@_source_id
@click.option("--rationale", default=None, help="Why this value.")
@_span
@_meta
@url_option
@json_option
@api_errors
def feedback_cmd(trace_id: str, name: str, value: str, source_type: str, source_id: str | None,
                 rationale: str | None, span_id: str | None, metadata: tuple[str, ...],
                 url: str, as_json: bool) -> None:  # fmt: skip
    """Log feedback NAME = VALUE about a trace (VALUE: true, 0.8, "text" or JSON)."""
    from spanwise import Client

    logged = Client(url).log_feedback(
        trace_id, name, _value(value), source=_source(source_type, source_id),
        rationale=rationale, metadata=key_values(metadata, "--metadata"), span_id=span_id,
    )  # fmt: skip
    _print(logged, as_json)


@assessments.command("expectation")
@click.argument("trace_id")
@click.argument("name")
@click.argument("value")
@_source_type
@_source_id
@_span
@_meta
@url_option
@json_option
@api_errors
def expectation_cmd(trace_id: str, name: str, value: str, source_type: str,
                    source_id: str | None, span_id: str | None, metadata: tuple[str, ...],
                    url: str, as_json: bool) -> None:  # fmt: skip
    """Log what the trace should have produced (ground truth) under NAME."""
    from spanwise import Client

    logged = Client(url).log_expectation(
        trace_id, name, _value(value), source=_source(source_type, source_id),
        metadata=key_values(metadata, "--metadata"), span_id=span_id,
    )  # fmt: skip
    _print(logged, as_json)


@assessments.command("list")
@click.argument("trace_id")
@url_option
@json_option
@api_errors
def list_cmd(trace_id: str, url: str, as_json: bool) -> None:
    """A trace's feedback and expectations, oldest first."""
    from spanwise import Client

    client = Client(url)
    path = f"/api/v1/traces/{path_id(trace_id, 'TRACE_ID')}/assessments"
    if as_json:
        print_json(client._request("GET", path))
        return
    from .render import assessments_table, print_table

    print_table(assessments_table(client.get_assessments(trace_id)), ASSESSMENT_DROP_FIRST)


@assessments.command("delete")
@click.argument("trace_id")
@click.argument("assessment_id")
@url_option
@api_errors
def delete_cmd(trace_id: str, assessment_id: str, url: str) -> None:
    """Delete one assessment of a trace."""
    from spanwise import Client

    Client(url).delete_assessment(trace_id, assessment_id)
    click.echo(f"deleted {assessment_id}")
