"""``Client.set_trace_tag`` and friends: tags set or removed on a stored trace (MLflow's
``set_trace_tag``/``delete_trace_tag``). Search, lists and the trace itself show the
edited tags; an edit wins over the tags the trace's spans set, even ones arriving later."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any


def _path(trace_id: str, tail: str = "") -> str:
    import urllib.parse

    return f"/api/v1/traces/{urllib.parse.quote(trace_id, safe='')}/tags{tail}"


class TraceTagsClientMixin:
    if TYPE_CHECKING:  # provided by Client, which mixes this class in

        def _request(self, method: str, path: str, params: dict[str, Any] | None = None,
                     body: Any = None) -> Any: ...  # fmt: skip

    def _edit(self, path: str, body: dict[str, Any]) -> Any:
        from .client import SpanwiseAPIError

        try:
            return self._request("POST", path, body=body)
        except SpanwiseAPIError as err:
            if err.status != 404:
                raise
        # The trace may still sit in this process's export queue: send it, then retry.
        from . import provider

        provider.flush(5.0)
        return self._request("POST", path, body=body)

    def set_trace_tags(self, trace_id: str, tags: Mapping[str, str]) -> None:
        """Set ``tags`` (string values) on the trace: new keys are added, others replaced."""
        self._edit(_path(trace_id), {"tags": dict(tags)})

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        """Set one tag on the trace, e.g. ``set_trace_tag(tid, "reviewed", "yes")``."""
        self.set_trace_tags(trace_id, {key: value})

    def delete_trace_tags(self, trace_id: str, keys: Iterable[str]) -> None:
        """Remove ``keys`` from the trace's tags (a key it does not have is no error)."""
        # One key given as text is that key, not its letters.
        self._edit(
            _path(trace_id, "/delete"), {"keys": [keys] if isinstance(keys, str) else list(keys)}
        )

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Remove one tag from the trace."""
        self.delete_trace_tags(trace_id, [key])
