"""The ingest pipeline's default bounds, in a module light enough for the CLI to import."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_INFLIGHT_BYTES", "DEFAULT_SPOOL_MAX_BYTES"]

# Request bytes not yet in the store (the writer holds their Arrow tables in memory): ~6 s
# of requests at full load on 2 cores (~40 MB/s), room for the writer's two ~35k-span
# groups (one inserting, one lingering) with no refusals; past it senders back off.
DEFAULT_MAX_INFLIGHT_BYTES = 256 * 1024 * 1024
DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024 * 1024
