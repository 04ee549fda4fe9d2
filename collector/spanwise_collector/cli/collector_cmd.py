"""``spanwise collector``: run the collector in the foreground."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from ..pipeline.limits import DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_SPOOL_MAX_BYTES
from .options import cluster_option, retention_from_options, retention_options


@click.command()
@click.option(
    "--store",
    default="./spanwise-data",
    show_default=True,
    envvar="SPANWISE_STORE",
    help="A directory / chdb:///abs/path (embedded ClickHouse) or http(s)://user:pass@host:8123/db.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--grpc-port",
    default=4317,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="OTLP/gRPC and run events; 0 picks a free port.",
)
@click.option(
    "--http-port",
    default=4318,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="OTLP/HTTP and the query API; 0 picks a free port.",
)
@click.option(
    "--no-create-schema", is_flag=True, help="Don't create tables (an operator applied the DDL)."
)
@cluster_option
@retention_options
@click.option(
    "--artifacts",
    default=None,
    envvar="SPANWISE_ARTIFACTS",
    help="Directory for run artifacts [default: <store dir>/artifacts].",
)
@click.option(
    "--prices",
    "prices",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Price override file (repeatable; later files win). See `spanwise pricing check`.",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    envvar="SPANWISE_COLLECTOR_API_KEYS",
    help="Require this API key on every request but /healthz (repeatable; env "
    "SPANWISE_COLLECTOR_API_KEYS, space-separated). Apps and the CLI send SPANWISE_API_KEY; "
    "browsers ask for it (any user name).",
)
@click.option(
    "--spool-dir",
    default=None,
    envvar="SPANWISE_SPOOL_DIR",
    help="Where acknowledged batches wait until they are in the store (fsynced before each "
    "reply; replayed after a crash or an outage); one collector each [default: "
    "<store dir>/spanwise-spool; with a ClickHouse server ./spanwise-spool/HOST_PORT_DB].",
)
@click.option(
    "--spool-max-bytes",
    default=DEFAULT_SPOOL_MAX_BYTES,
    show_default=True,
    type=click.IntRange(1),
    help="Spool size limit; past it senders get RESOURCE_EXHAUSTED / HTTP 429.",
)
@click.option(
    "--max-inflight-bytes",
    default=DEFAULT_MAX_INFLIGHT_BYTES,
    show_default=True,
    type=click.IntRange(1),
    help="Request bytes received but not yet in the store; over it senders get "
    "RESOURCE_EXHAUSTED / 429.",
)
@click.option(
    "--convert-workers",
    default=None,
    type=click.IntRange(0),
    help="Processes that decode OTLP/gRPC requests beside the collector's own "
    "[default: one per core beyond the first, up to 4]; 0 decodes in the collector process.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Least severe log messages written to stderr.",
)
def collector(store: str, host: str, grpc_port: int, http_port: int, no_create_schema: bool,
              cluster: str | None, retention_days: int | None, retention: tuple[str, ...],
              artifacts: str | None, prices: tuple[str, ...], api_keys: tuple[str, ...],
              spool_dir: str | None,
              spool_max_bytes: int, max_inflight_bytes: int, convert_workers: int | None,
              log_level: str) -> None:  # fmt: skip
    """Start a collector. The first line printed is `grpc=PORT http=PORT`."""
    from ..server import Collector, CollectorConfig
    from ..store import StoreError

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)  # fmt: skip
    policy = retention_from_options(retention_days, retention)
    config = CollectorConfig(store=store, host=host, grpc_port=grpc_port, http_port=http_port,
                             create_schema=not no_create_schema, cluster=cluster,
                             retention_days=policy.days if policy else None,
                             retention=tuple(policy.projects.items()) if policy else (),
                             artifacts=artifacts, prices=prices, api_keys=api_keys,
                             spool_dir=spool_dir,
                             spool_max_bytes=spool_max_bytes,
                             max_inflight_bytes=max_inflight_bytes,
                             convert_workers=convert_workers)  # fmt: skip
    server = Collector(config)
    try:
        server.start()
    except (StoreError, OSError, ValueError) as exc:  # ValueError: bad --prices, --api-key
        click.secho(f"error: {exc}", fg="red", err=True)
        server.stop(0)
        sys.exit(2)
    click.echo(f"grpc={server.grpc_port} http={server.http_port}", nl=True)
    sys.stdout.flush()
    click.echo(f"spanwise collector: store {server.store.location.describe()}, OTLP/gRPC "
               f"{server.grpc_endpoint.removeprefix('http://')}, HTTP {server.http_url} (UI: {server.http_url}/ui)",
               err=True)  # fmt: skip
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stopping.wait(0.5):
        pass
    click.echo("spanwise collector: draining and stopping", err=True)
    # Stops taking requests, lets in-flight ones finish (up to the grace period),
    # then drains the writer: every acknowledged batch is stored or spooled.
    server.stop(grace=10)
    click.echo("spanwise collector: stopped", err=True)
