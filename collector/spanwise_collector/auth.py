"""API keys: with ``--api-key`` set, every request must carry one of them — OTLP and
the RunService over gRPC (metadata ``authorization: Bearer KEY``, what the SDK sends
from ``SPANWISE_API_KEY``), the HTTP API, OTLP/HTTP and the UI (``Authorization: Bearer
KEY``, or HTTP Basic with the key as the password, which browsers ask for). Only
``/healthz`` and ``/metrics`` stay open, for load balancers, probes and Prometheus (counts
only, no user data). Without keys nothing is checked and nothing is installed (the
default on 127.0.0.1).

Keys are compared as SHA-256 digests with ``hmac.compare_digest``: no timing hints.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

__all__ = ["ApiKeys", "AuthMiddleware", "grpc_interceptor"]

OPEN_PATHS = frozenset({"/healthz", "/metrics"})
_CHALLENGE = [(b"www-authenticate", b'Basic realm="Spanwise", charset="UTF-8"'),
              (b"content-type", b"application/json")]  # fmt: skip
_REFUSED = (
    b'{"detail": "this collector requires an API key: send Authorization: Bearer <key> '
    b'(the SDK and CLI send SPANWISE_API_KEY)"}'
)


class ApiKeys:
    def __init__(self, keys: Iterable[str]) -> None:
        cleaned = [k.strip() for k in keys if k and k.strip()]
        if any(len(k) < 16 for k in cleaned):
            raise ValueError("API keys must have at least 16 characters")
        self._digests = tuple(hashlib.sha256(k.encode()).digest() for k in cleaned)

    def __bool__(self) -> bool:
        return bool(self._digests)

    def _known(self, key: str) -> bool:
        digest = hashlib.sha256(key.encode()).digest()
        found = False
        for known in self._digests:  # no early exit: every key is compared
            found |= hmac.compare_digest(digest, known)
        return found

    def allows(self, authorization: str | None) -> bool:
        """``Bearer KEY``, or ``Basic base64(user:KEY)`` (any user name)."""
        if not authorization:
            return False
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            return self._known(value.strip())
        if scheme == "basic":
            try:
                _, _, password = (
                    base64.b64decode(value.strip(), validate=True).decode().partition(":")
                )
            except (ValueError, UnicodeDecodeError):
                return False
            return self._known(password)
        return False


class AuthMiddleware:
    """A plain ASGI middleware (no per-request task or body buffering, unlike
    BaseHTTPMiddleware: OTLP/HTTP ingest goes through it)."""

    def __init__(self, app: Any, keys: ApiKeys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        if self.keys.allows(header):
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 401, "headers": _CHALLENGE})
        await send({"type": "http.response.body", "body": _REFUSED})


def grpc_interceptor(keys: ApiKeys) -> Any:
    """A server interceptor that answers UNAUTHENTICATED without the key's metadata."""
    import grpc

    def refuse(_: Any, context: grpc.ServicerContext) -> None:
        context.abort(
            grpc.StatusCode.UNAUTHENTICATED,
            "this collector requires an API key: set SPANWISE_API_KEY (metadata "
            "authorization: Bearer <key>)",
        )

    refused = grpc.unary_unary_rpc_method_handler(refuse)

    class _Interceptor(grpc.ServerInterceptor):
        def intercept_service(self, continuation: Any, details: Any) -> Any:
            for key, value in details.invocation_metadata or ():
                if key == "authorization" and keys.allows(value):
                    return continuation(details)
            return refused

    return _Interceptor()
