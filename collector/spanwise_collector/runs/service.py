"""``spanwise.runs.v1.RunService``: stores batches of run events, acknowledged once written.

Every row is keyed by what it is (see store/runs_ddl.py), so the SDK can retry a
whole batch after any failure without creating duplicates.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from spanwise._proto.runs.v1 import runs_pb2, runs_pb2_grpc

from ..receiver.errors import classify
from ..receiver.otlp_grpc import project_from_metadata
from ..store import ClickHouseStore
from .events import COLUMNS, EventRows, InvalidRunEvent, to_rows

logger = logging.getLogger("spanwise.collector")

__all__ = ["RunService", "add_to_server", "write_rows"]

SERVICE = "spanwise.runs.v1.RunService"


def write_rows(store: ClickHouseStore, rows: EventRows) -> None:
    """Insert in dependency order (experiments, runs, then what hangs off a run)."""
    for table, batch in (
        ("experiments", rows.experiments),
        ("runs", rows.runs),
        ("run_params", rows.params),
        ("run_tags", rows.tags),
        ("run_metrics", rows.metrics),
    ):
        if batch:
            store.insert_rows(table, batch, COLUMNS[table])


class RunService(runs_pb2_grpc.RunServiceServicer):
    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store

    def LogBatch(self, data: bytes, context: grpc.ServicerContext) -> Any:
        # Raw bytes in, as OTLP: malformed bytes get INVALID_ARGUMENT with the parser's
        # message, not gRPC's INTERNAL "Exception deserializing request!", which senders
        # (the SDK included) retry as if the collector were at fault.
        request = runs_pb2.LogBatchRequest()
        try:
            request.ParseFromString(data)
        except (DecodeError, RecursionError) as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid protobuf: {exc}")
        try:
            rows = to_rows(request.events, project_from_metadata(context))
        except InvalidRunEvent as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid run event: {exc}")
        try:
            write_rows(self.store, rows)
        except Exception as exc:
            outcome = classify(exc)
            logger.warning("run events refused (retryable=%s): %s", outcome.retryable,
                           outcome.message)  # fmt: skip
            context.abort(getattr(grpc.StatusCode, outcome.grpc_code), outcome.message)
        return runs_pb2.LogBatchResponse(accepted=len(request.events))


def add_to_server(server: grpc.Server, collector: Any) -> None:
    """A ``GRPC_SERVICES`` entry: serve RunService on the collector's gRPC port."""
    from ..receiver.otlp_grpc import add_bytes_method

    add_bytes_method(server, SERVICE, "LogBatch", RunService(collector.store).LogBatch,
                     runs_pb2.LogBatchResponse)  # fmt: skip
