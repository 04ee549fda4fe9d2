"""The collector process: store + pipeline + gRPC server + HTTP server.

Used by ``spanwise collector`` (foreground) and in-process by ``spanwise demo``
and tests. Stateless apart from its store: several can share one ClickHouse.
"""

from __future__ import annotations

import gc
import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .pipeline.limits import DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_SPOOL_MAX_BYTES

logger = logging.getLogger("spanwise.collector")

GRPC_MAX_MESSAGE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class CollectorConfig:
    store: str = "./spanwise-data"
    host: str = "127.0.0.1"
    grpc_port: int = 4317
    http_port: int = 4318
    create_schema: bool = True
    grpc_workers: int = 16
    spool_dir: str | None = None  # default: <chDB dir>/spanwise-spool
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES
    max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES
    # Processes that decode OTLP/gRPC requests (pipeline/convert_pool.py); None: one per
    # core beyond the first, up to 4 (the CLI's default); 0: decode in this process. Not 0
    # only where the main module is safe to import again (spawned workers import it, as
    # with any multiprocessing program: the `spanwise` command, `if __name__ == "__main__"`).
    convert_workers: int | None = 0
    cluster: str | None = None  # ClickHouse cluster name: ON CLUSTER DDL, Distributed tables
    # Retention in days (0 = forever); None and no per-project overrides: leave the
    # stored setting alone. Per-project overrides: ((project, days), ...).
    retention_days: int | None = None
    retention: tuple[tuple[str, int], ...] = ()
    artifacts: str | None = None  # run artifacts; default <store dir>/artifacts
    # Price override files (``--prices``), later files win; see pricing/README.md.
    prices: tuple[str, ...] = ()
    # API keys (``--api-key``): when given, every request but /healthz must carry one.
    api_keys: tuple[str, ...] = ()


class Collector:
    def __init__(self, config: CollectorConfig) -> None:
        self.config = config
        self.store: Any = None
        self.pipeline: Any = None
        self.stored_traces: Any = None
        self.grpc_port = 0
        self.http_port = 0
        self._grpc: Any = None
        self._http: Any = None
        self._http_thread: threading.Thread | None = None
        self._spool_lock: Any = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> Collector:
        from spanwise_pricing import PriceBook

        from .auth import ApiKeys
        from .pipeline.pipeline import Pipeline, default_spool_dir
        from .pipeline.spool_lock import SpoolLock
        from .store import open_store
        from .store.retention import Retention

        ApiKeys(self.config.api_keys)  # a bad key fails here, before the store is opened
        # So does a bad --prices file: it used to fail after the store was created.
        book = PriceBook.load(overrides=self.config.prices)

        retention = None
        if self.config.retention_days is not None or self.config.retention:
            retention = Retention(self.config.retention_days or 0, dict(self.config.retention))
        self.store = open_store(
            self.config.store,
            create_schema=self.config.create_schema,
            cluster=self.config.cluster,
            retention=retention,
        )
        spool_dir = self.config.spool_dir or default_spool_dir(self.store)
        self._spool_lock = SpoolLock(spool_dir)
        self._spool_lock.acquire()  # before the spool replays what it finds there
        self.stored_traces = self._stored_traces()
        self.pipeline = Pipeline(
            self.store,
            processors=self._processors(book),
            stored_traces=self.stored_traces,
            spool_dir=spool_dir,
            spool_max_bytes=self.config.spool_max_bytes,
            max_inflight_bytes=self.config.max_inflight_bytes,
            convert_workers=self._convert_workers(),
        )
        self._finish_deletions()
        self._start_grpc()
        self._start_http()
        # Ingest allocates many short-lived containers; every full GC would walk the
        # ~1M long-lived objects of the imports (grpc, pyarrow, fastapi, pricing tables).
        # Freezing them keeps collections proportional to the garbage (chdb-findings.md).
        gc.freeze()
        return self

    def _convert_workers(self) -> int:
        from .pipeline.convert_pool import default_workers

        workers = self.config.convert_workers
        return default_workers() if workers is None else workers

    def _processors(self, book: Any) -> list[Any]:
        from .costs import PricingProcessor

        return [PricingProcessor(book, self.store, stored_traces=self.stored_traces)]

    def _stored_traces(self) -> Any:
        """For an embedded store, which this process alone writes: the traces it holds,
        kept in memory so count-once lookups skip the store (pipeline/stored_traces.py).
        The earlier traces load in the background; until then lookups ask the store."""
        if self.store.location.kind != "chdb" or self.config.cluster:
            return None
        from .pipeline.stored_traces import StoredTraces

        stored = StoredTraces()
        threading.Thread(
            target=stored.load, args=(self.store,), name="spanwise-stored-traces", daemon=True
        ).start()
        return stored

    def _finish_deletions(self) -> None:
        """Trace deletions this store's last collector stopped in are finished in the
        background (deletion/delete.py); nothing waits for it."""
        from .deletion import finish_pending

        def run() -> None:
            try:
                finish_pending(self.store)
            except Exception:
                logger.exception(
                    "finishing interrupted trace deletions failed; retried at next start"
                )

        threading.Thread(target=run, name="spanwise-finish-deletions", daemon=True).start()

    def _start_grpc(self) -> None:
        import grpc

        from .receiver import otlp_grpc

        options = [
            ("grpc.max_receive_message_length", GRPC_MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ]
        from .auth import ApiKeys, grpc_interceptor

        keys = ApiKeys(self.config.api_keys)
        self._grpc = grpc.server(
            ThreadPoolExecutor(
                max_workers=self.config.grpc_workers, thread_name_prefix="otlp-grpc"
            ),
            interceptors=[grpc_interceptor(keys)] if keys else None,
            options=options,
            maximum_concurrent_rpcs=self.config.grpc_workers * 8,
        )
        otlp_grpc.add_to_server(self._grpc, self.pipeline)
        for register in GRPC_SERVICES:
            register(self._grpc, self)
        address = f"{self._host}:{self.config.grpc_port}"
        try:
            port = self._grpc.add_insecure_port(address)
        except RuntimeError:  # grpcio >= 1.60 raises; older versions return 0
            port = 0
        if port == 0:
            raise OSError(f"cannot listen for OTLP/gRPC on {address}: "
                          f"{_bind_error(self.config.host, self.config.grpc_port, '--grpc-port')}")  # fmt: skip
        self.grpc_port = port
        self._grpc.start()

    def _start_http(self) -> None:
        import uvicorn

        from .api import create_app

        # IPPROTO_TCP, not the default proto 0: asyncio sets TCP_NODELAY only on sockets
        # whose proto says TCP, and without it every kept-alive request stalled ~40 ms
        # (Nagle + delayed ACK) — found by tests/bench query benchmark.
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.http_port))
        except OSError as exc:
            sock.close()
            raise OSError(
                f"cannot listen for HTTP on {self._host}:{self.config.http_port}: {exc}; "
                "pick a free port with --http-port"
            ) from exc
        self.http_port = sock.getsockname()[1]
        from .auth import ApiKeys, AuthMiddleware

        app: Any = create_app(self.store, self.pipeline)
        app.state.artifacts_dir = self.config.artifacts
        keys = ApiKeys(self.config.api_keys)
        if keys:
            app = AuthMiddleware(app, keys)
        # GET query strings carry filters of up to 10,000 characters (~120 KB encoded);
        # h11's default 16 KB limit would drop such requests without an answer.
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                h11_max_incomplete_event_size=256 * 1024)  # fmt: skip
        self._http = uvicorn.Server(config)
        ready = threading.Event()

        def run() -> None:
            import asyncio

            async def serve() -> None:
                ready.set()
                await self._http.serve(sockets=[sock])

            asyncio.run(serve())

        self._http_thread = threading.Thread(target=run, name="spanwise-http", daemon=True)
        self._http_thread.start()
        ready.wait(10)

    def stop(self, grace: float = 5.0) -> None:
        """Stop taking requests, drain the writer, close the store."""
        if self._grpc is not None:
            self._grpc.stop(grace).wait(grace + 1)
        if self._http is not None:
            self._http.should_exit = True
            if self._http_thread is not None:
                self._http_thread.join(grace + 1)
        if self.pipeline is not None:
            self.pipeline.close()
        if self._spool_lock is not None:
            self._spool_lock.release()
        if self.store is not None:
            self.store.close()

    def wait(self) -> None:
        if self._grpc is not None:
            self._grpc.wait_for_termination()

    @property
    def _host(self) -> str:
        """The host as it goes before ``:port``: an IPv6 address in brackets (gRPC read
        ``::1:4317`` as another address and port 443, and URLs need them)."""
        host = self.config.host
        return f"[{host}]" if ":" in host and not host.startswith("[") else host

    @property
    def grpc_endpoint(self) -> str:
        return f"http://{self._host}:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://{self._host}:{self.http_port}"


def _bind_error(host: str, port: int, option: str) -> str:
    """Why gRPC could not listen on ``host:port`` (it only logs the reason), found by
    binding a plain socket: a --host that does not resolve or is not this machine's
    address read as a taken port before."""
    import errno

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"--host {host!r} does not resolve ({exc.strerror}); pass an address of this machine"
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return (
                        "the port is in use by another process (another `spanwise "
                        f"collector`?); pick a free port with {option}"
                    )
                return f"{exc.strerror}; pass an address of this machine with --host"
    return "gRPC refused the address (its log line above says why)"


def _run_service(server: Any, collector: Collector) -> None:
    from .runs.service import add_to_server

    add_to_server(server, collector)


# Extra gRPC services (e.g. runs): callables ``(server, collector) -> None``.
GRPC_SERVICES: list[Any] = [_run_service]
