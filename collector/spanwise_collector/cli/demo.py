"""``spanwise demo``: a collector in-process, example agents, their traces printed."""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile

import click


@click.command()
@click.option(
    "--store",
    default=None,
    help="Keep the data in this directory (default: a temporary directory, removed after).",
)
@click.option(
    "--runs",
    "n",
    default=2,
    show_default=True,
    type=click.IntRange(1, 100),
    help="How many times to run each agent.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the traces as JSON.")
def demo(store: str | None, n: int, as_json: bool) -> None:  # fmt: skip
    """Start a collector on free local ports, run example agents, print their traces."""
    import spanwise

    from ..server import Collector, CollectorConfig
    from ..store import StoreError
    from .assessments import ASSESSMENT_DROP_FIRST
    from .render import assessments_table, console, print_table, trace_tree

    tmp = None if store else tempfile.mkdtemp(prefix="spanwise-demo-")
    server = Collector(CollectorConfig(store=store or tmp, grpc_port=0, http_port=0))
    out = console()
    # Progress and hints go to stderr so that `--json` output stays pure JSON.
    status = console(stderr=True)
    try:
        try:
            server.start()
        except (StoreError, OSError) as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)
        status.print(f"collector: OTLP/gRPC {server.grpc_endpoint}, API {server.http_url}, "
                     f"store {server.store.location.describe()}", style="dim")  # fmt: skip
        spanwise.configure(
            endpoint=server.grpc_endpoint, project="demo", service_name="spanwise-demo",
            api_url=server.http_url,
        )  # fmt: skip
        for name, module in _agents():
            with status.status(f"running {name}…"):
                module.run(n)
        from ..demo import openai_agent

        with status.status("evaluating the OpenAI agent on a dataset…"):
            evaluation = openai_agent.evaluate()
        if not spanwise.flush(30):
            click.secho(
                "warning: not every span reached the collector in 30 s", fg="yellow", err=True
            )
        # Read everything back through the query API, oldest first.
        client = spanwise.Client(server.http_url)
        listed = client.search_traces(max_results=1000, project="demo", include_spans=True)
        traces = sorted(listed, key=lambda t: t.info.start_time_ms)
        if traces:  # a user's thumbs-up on the first answer, as an app would log it
            first = traces[0]
            client.log_feedback(
                first.info.trace_id, "helpful", True,
                source=spanwise.AssessmentSource("HUMAN", "demo-user"),
                rationale="cited its sources",
            )  # fmt: skip
            again = client.get_trace(first.info.trace_id)
            traces[0] = again if again is not None else first
        if as_json:
            from dataclasses import asdict

            from .common import print_json

            print_json([asdict(t) for t in traces])
        else:
            for trace in traces:
                out.print(trace_tree(trace, width=out.width))
                if trace.info.assessments:
                    print_table(assessments_table(trace.info.assessments, "Assessments"),
                                ASSESSMENT_DROP_FIRST)  # fmt: skip
        scores = ", ".join(f"{k} {v:g}" for k, v in sorted(evaluation.metrics.items()))
        status.print(f"evaluation run {evaluation.run_id} (dataset support-golden, "
                     f"{len(evaluation.rows)} records): {scores}", style="dim")  # fmt: skip
        status.print(f"{len(traces)} traces. {_next_steps(store)}", style="dim")
    finally:
        spanwise.flush(5)
        server.stop(grace=2)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _next_steps(store: str | None) -> str:
    """The demo's collector stops when it ends: say how to read the traces again."""
    if not store:
        return (
            "They were kept in a temporary directory, now removed; to keep them, run "
            "`spanwise demo --store ./spanwise-data`."
        )
    quoted = shlex.quote(store)
    return (
        f"They are kept in {store}: `spanwise collector --store {quoted}`, then "
        "`spanwise traces list` in another terminal, or http://127.0.0.1:4318/ in a browser."
    )


def _agents() -> list[tuple[str, object]]:
    from ..demo import openai_agent, research_agent

    agents: list[tuple[str, object]] = [
        ("research agent", research_agent),
        ("OpenAI agent", openai_agent),
    ]
    try:
        from ..demo import langchain_agent
    except ImportError:  # langchain-core / langgraph not installed
        pass
    else:
        agents.append(("LangGraph agent", langchain_agent))
    return agents
