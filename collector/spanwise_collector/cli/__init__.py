"""The ``spanwise`` command line: the collector, the demo and the query commands."""

from __future__ import annotations

import sys

import click

from . import (
    assessments,
    collector_cmd,
    costs,
    datasets,
    demo,
    monitor,
    prompts,
    review,
    runs,
    schema_cmd,
    search,
    traces,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="spanwise", prog_name="spanwise")
def cli() -> None:
    """Spanwise: LLM tracing, cost and experiment tracking.

    Start a collector with `spanwise collector`, try everything with `spanwise demo`,
    and read traces with `spanwise traces list` / `spanwise traces get ID`.
    """


# Each feature adds its command or group here.
COMMANDS = [
    collector_cmd.collector,
    demo.demo,
    traces.traces,
    assessments.assessments,
    datasets.datasets,
    prompts.prompts,
    schema_cmd.schema,
    runs.experiments,
    runs.runs,
    costs.costs,
    costs.pricing,
    costs.reprice,
    search.spans,
    search.sessions,
    search.analytics,
    monitor.monitor,
    review.review,
]
for command in COMMANDS:
    cli.add_command(command)


def main() -> None:
    try:
        cli(prog_name="spanwise")
    except KeyboardInterrupt:
        sys.exit(130)
