"""A local OpenAI-compatible HTTP server for tests, the demo and benchmarks.

    with FakeOpenAI() as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=[...])
        srv.last_request.body["model"]

    python -m spanwise_collector.testing.openai_server --port 0   # prints "port=N" first, serves until killed

Endpoints: POST /v1/chat/completions (JSON or SSE), /v1/responses (JSON or SSE events),
/v1/embeddings, GET /v1/models; Azure-style paths (/openai/deployments/{name}/...) too;
Anthropic's POST /v1/messages (JSON or SSE events), for
``anthropic.Anthropic(base_url=srv.url)``; and the Gemini API's POST
/{v1,v1beta,v1alpha}/models/{model}:generateContent, :streamGenerateContent (SSE with
``alt=sse``, else one JSON array), :batchEmbedContents and :embedContent, for
``genai.Client(api_key="x", http_options=types.HttpOptions(base_url=srv.url))``; and Mistral's
SDK (``Mistral(api_key="x", server_url=srv.url)``: the OpenAI routes, with the usage in
every stream and an id on embeddings, as Mistral's API answers); Groq's SDK (``Groq(
base_url=srv.url)``, POST /openai/v1/chat/completions: a stream's usage in the last chunk's
``x_groq``); and
Amazon Bedrock Runtime's Converse API, POST /model/{modelId}/converse (JSON) and
/model/{modelId}/converse-stream (``application/vnd.amazon.eventstream``), for
``boto3.client("bedrock-runtime", endpoint_url=srv.url, region_name=..., aws_access_key_id=...,
aws_secret_access_key=...)``.
Outputs are deterministic functions of the request (see
`spanwise_collector.testing._openai_payloads`, `._anthropic_payloads`, `._gemini_payloads`
and `._bedrock_payloads` for the rules).

Failure injection, per request, by header or by model name:
- ``x-fake-error: 429`` or a model containing ``error-429`` -> that HTTP status with an
  error body in the API's own shape (429 carries ``retry-after``, default 1 s,
  ``x-fake-retry-after``); Gemini's and Bedrock's model is the one in the URL path
  (Bedrock's errors: ``{"message"}`` with the type in ``x-amzn-ErrorType``);
- ``x-fake-delay: 2.5`` or a model containing ``delay-2.5`` -> sleep before answering;
- ``x-fake-chunks: N`` -> N content chunks in a stream (default: the server's ``chunks``);
- ``x-fake-chunk-delay: S`` -> sleep S seconds before each streamed chunk;
- ``x-fake-abort-after: K`` -> a stream drops the connection after K events (SSE events or
  event stream messages).
`FakeOpenAI.inject_error(status, times)` fails the next `times` requests instead;
`FakeOpenAI.inject_response(body)` answers the next request with that exact JSON body.

Speed: stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive, TCP_NODELAY, and each response
(or SSE event) goes out in one write, so no Nagle/delayed-ACK stall (≈40 ms) can occur.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import _anthropic_payloads as anthropic_payloads
from . import _bedrock_families as bedrock_families
from . import _bedrock_payloads as bedrock_payloads
from . import _gemini_payloads as gemini_payloads
from . import _openai_payloads as payloads

__all__ = ["FakeOpenAI", "RecordedRequest", "main"]

_ERROR_IN_MODEL = re.compile(r"error-(\d{3})")
_DELAY_IN_MODEL = re.compile(r"delay-(\d+(?:\.\d+)?)")
# Azure OpenAI paths: {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…
_AZURE_PREFIX = re.compile(r"^/openai(?:/deployments/[^/]+)?")
# Gemini API: {base_url}/v1beta/models/{model}:generateContent (google-genai defaults to v1)
_GEMINI_PATH = re.compile(
    r"^/v1(?:beta|alpha)?/models/(?P<model>[^/:]+)"
    r":(?P<method>generateContent|streamGenerateContent|batchEmbedContents|embedContent)$"
)
# Bedrock Runtime: {endpoint}/model/{modelId}/converse; botocore URL-encodes the id (":" -> %3A)
_BEDROCK_PATH = re.compile(
    r"^/model/(?P<model>[^/]+)/(?P<method>converse|converse-stream|invoke-with-response-stream"
    r"|invoke)$"
)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON (None when the body was empty or not JSON)


def groq_chunks(chunks: Any) -> Any:
    """OpenAI's chunks as Groq streams them: the usage chunk's counts moved into the
    last content chunk's ``x_groq`` (no chunk without choices)."""
    held = None
    for chunk in chunks:
        if not chunk["choices"] and chunk.get("usage"):
            if held is not None:
                yield {**held, "x_groq": {"id": f"req_{held['id']}", "usage": chunk["usage"]}}
            held = None
            continue
        if held is not None:
            yield held
        held = chunk
    if held is not None:
        yield held


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, addr: tuple[str, int], *, chunks: int, dims: int, record: bool) -> None:
        super().__init__(addr, _Handler)
        self.chunks = chunks
        self.dims = dims
        self.record = record
        self.requests: list[RecordedRequest] = []
        self.timings_ns: collections.deque[int] = collections.deque(maxlen=100_000)
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.injected: collections.deque[tuple[int, float]] = collections.deque()
        self.bodies: collections.deque[tuple[int, Any]] = collections.deque()
        self.stopping = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the openai client pools connections
    disable_nagle_algorithm = True  # TCP_NODELAY on the accepted socket
    server: _Server
    _t0 = 0

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def parse_request(self) -> bool:
        self._t0 = time.perf_counter_ns()  # request line is in; time header parsing too
        return super().parse_request()

    # -- plumbing ----------------------------------------------------------------------

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            return True
        except OSError:  # client went away (an abandoned stream)
            self.close_connection = True
            return False

    def _head(self, status: int, headers: dict[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _send_json(
        self, status: int, obj: Any, rid: str, extra: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(obj, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "x-request-id": f"req_{rid}",
            **(extra or {}),
        }
        self._write(self._head(status, headers) + body)
        self._done()

    def _send_sse(
        self, events: Any, rid: str, *, named: bool, done_marker: bool, eol: str = "\n"
    ) -> None:
        def frames() -> Iterator[bytes]:
            for event in events:
                data = json.dumps(event, separators=(",", ":"))
                if named:
                    yield f"event: {event['type']}\ndata: {data}\n\n".encode()
                else:
                    yield f"data: {data}{eol * 2}".encode()

        headers = {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "Transfer-Encoding": "chunked",
            "x-request-id": f"req_{rid}",
        }
        self._send_chunked(frames(), headers, b"data: [DONE]\n\n" if done_marker else b"")

    def _send_chunked(self, frames: Iterable[bytes], headers: dict[str, str], tail: bytes) -> None:
        """A 200 stream, one HTTP chunk per frame, honouring the chunk-delay/abort headers."""
        pending = self._head(200, headers)
        delay = float(self.headers.get("x-fake-chunk-delay") or 0)
        abort_after = self.headers.get("x-fake-abort-after")
        limit = int(abort_after) if abort_after is not None else None
        for count, raw in enumerate(frames):
            if limit is not None and count >= limit:
                self._write(pending)
                self.close_connection = True  # drop mid-stream, no terminating chunk
                self._done()
                return
            if delay:
                if pending and not self._write(pending):
                    return
                pending = b""
                self.server.stopping.wait(delay)
            # one write per event (HTTP chunk): flushed at once, TCP_NODELAY
            if not self._write(pending + f"{len(raw):x}\r\n".encode() + raw + b"\r\n"):
                return
            pending = b""
        last = (f"{len(tail):x}\r\n".encode() + tail + b"\r\n" if tail else b"") + b"0\r\n\r\n"
        self._write(pending + last)
        self._done()

    def _send_error(
        self, shapes: Any, status: int, message: str, rid: str, extra: dict[str, str] | None = None
    ) -> None:
        """An error body in the API's own shape (`shapes`: one of the payload modules)."""
        extra = dict(extra or {})
        if shapes is bedrock_payloads:  # botocore reads the type from this header
            extra |= {
                "x-amzn-ErrorType": bedrock_payloads.error_type(status),
                "x-amzn-RequestId": rid,
            }
        self._send_json(status, shapes.error_body(status, message), rid, extra)

    def _done(self) -> None:
        self.server.timings_ns.append(time.perf_counter_ns() - self._t0)

    # -- routing -----------------------------------------------------------------------

    def do_GET(self) -> None:
        rid = str(next(self.server.ids))
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            model = {
                "id": "gpt-4o-mini",
                "object": "model",
                "created": payloads.CREATED,
                "owned_by": "fake",
            }
            self._send_json(200, {"object": "list", "data": [model]}, rid)
        else:
            self._send_json(404, payloads.error_body(404, f"no route GET {self.path}"), rid)

    def do_POST(self) -> None:
        srv = self.server
        rid = f"fake{next(srv.ids):06d}"
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if srv.record:
            rec = RecordedRequest(
                "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            with srv.lock:
                srv.requests.append(rec)
        bare = self.path.split("?", 1)[0]
        gemini, bedrock = _GEMINI_PATH.match(bare), _BEDROCK_PATH.match(bare)
        shapes = gemini_payloads if gemini else bedrock_payloads if bedrock else payloads
        if not isinstance(body, dict):
            self._send_error(shapes, 400, "request body must be a JSON object", rid)
            return
        model = self._model(body, gemini, bedrock)

        delay = self.headers.get("x-fake-delay") or (
            m.group(1) if (m := _DELAY_IN_MODEL.search(model)) else None
        )
        if delay:
            srv.stopping.wait(float(delay))
        with srv.lock:
            canned = srv.bodies.popleft() if srv.bodies else None
        if canned is not None:
            self._send_json(canned[0], canned[1], rid)
            return
        path = _AZURE_PREFIX.sub("", bare).removeprefix("/v1")
        status, retry_after = self._injected_error(model)
        if status:
            extra = {"retry-after": retry_after} if status == 429 else {}
            if path == "/messages":
                shapes = anthropic_payloads
            self._send_error(shapes, status, f"fake error {status}", rid, extra)
            return

        chunks = int(self.headers.get("x-fake-chunks") or srv.chunks)
        stream = bool(body.get("stream"))
        if gemini:
            self._gemini(model, gemini["method"], body, rid, chunks)
        elif bedrock:
            self._bedrock(model, bedrock["method"], body, rid, chunks)
        elif path == "/messages":
            if stream:
                events = anthropic_payloads.message_events(body, rid, chunks)
                self._send_sse(events, rid, named=True, done_marker=False)
            else:
                self._send_json(200, anthropic_payloads.message(body, rid), rid)
        elif path == "/chat/completions":
            if stream and self._mistral():  # Mistral's API always ends with the usage
                body = {**body, "stream_options": {"include_usage": True}}
            if stream and self._groq():  # Groq's: in the last chunk's x_groq
                self._send_sse(groq_chunks(payloads.chat_chunks(
                    {**body, "stream_options": {"include_usage": True}}, rid, chunks
                )), rid, named=False, done_marker=True)  # fmt: skip
                return
            if stream:
                self._send_sse(
                    payloads.chat_chunks(body, rid, chunks), rid, named=False, done_marker=True
                )
            else:
                self._send_json(200, payloads.chat_completion(body, rid), rid)
        elif path == "/responses":
            if stream:
                self._send_sse(
                    payloads.response_events(body, rid, chunks), rid, named=True, done_marker=False
                )
            else:
                self._send_json(200, payloads.responses_response(body, rid), rid)
        elif path == "/embeddings":
            reply = payloads.embeddings_response(body, srv.dims)
            if self._mistral():  # Mistral's embeddings have an id
                reply = {"id": f"embd-{rid}", **reply}
            self._send_json(200, reply, rid)
        else:
            self._send_json(404, payloads.error_body(404, f"no route POST {self.path}"), rid)

    def _groq(self) -> bool:
        return (self.headers.get("user-agent") or "").startswith("Groq/")

    def _mistral(self) -> bool:
        """A request from Mistral's SDK (its API is OpenAI's shape, with differences)."""
        return (self.headers.get("user-agent") or "").startswith("mistral-client")

    @staticmethod
    def _model(body: dict[str, Any], gemini: Any, bedrock: Any) -> str:
        """The model: Gemini's and Bedrock's are in the path (Bedrock's URL-encoded)."""
        if gemini:
            return gemini["model"]
        if bedrock:
            return unquote(bedrock["model"])
        return str(body.get("model") or "")

    def _gemini(self, model: str, method: str, body: dict[str, Any], rid: str, chunks: int) -> None:
        if method == "generateContent":
            self._send_json(200, gemini_payloads.generate_content(body, model, rid), rid)
        elif method == "streamGenerateContent":
            events = gemini_payloads.stream_chunks(body, model, rid, chunks)
            if parse_qs(urlsplit(self.path).query).get("alt") == ["sse"]:
                # the real API ends each event with CRLF CRLF and sends no [DONE]
                self._send_sse(events, rid, named=False, done_marker=False, eol="\r\n")
            else:  # without alt=sse the API streams one JSON array
                self._send_json(200, list(events), rid)
        elif method == "batchEmbedContents":
            self._send_json(200, gemini_payloads.embed_contents(body, model, self.server.dims), rid)
        else:
            self._send_json(200, gemini_payloads.embed_content(body, model, self.server.dims), rid)

    def _bedrock(
        self, model: str, method: str, body: dict[str, Any], rid: str, chunks: int
    ) -> None:
        kind = bedrock_families.family(model)
        if kind is not None and method == "invoke":
            reply, tokens_in, tokens_out = bedrock_families.invoke_body(kind, body)
            self._send_json(
                200, reply, rid, bedrock_families.token_headers(tokens_in, tokens_out, rid)
            )
            return
        if method == "invoke":  # Claude's Messages body, as Bedrock's InvokeModel takes it
            reply = anthropic_payloads.message(body, rid)
            self._send_json(200, reply, rid, bedrock_payloads.invoke_headers(reply, rid))
            return
        if method == "converse":
            reply = bedrock_payloads.converse(body, rid)
            self._send_json(200, reply, rid, {"x-amzn-RequestId": rid})
            return
        if method == "invoke-with-response-stream" and kind is not None:
            family_chunks = bedrock_families.invoke_chunks(kind, body, chunks)
            events = map(bedrock_payloads.chunk_event, family_chunks)
        elif method == "invoke-with-response-stream":
            claude = anthropic_payloads.message_events(body, rid, chunks)
            events = bedrock_payloads.invoke_stream_events(claude)
        else:
            events = bedrock_payloads.converse_events(body, rid, chunks)
        headers = {
            "Content-Type": "application/vnd.amazon.eventstream",
            "Transfer-Encoding": "chunked",
            "x-amzn-RequestId": rid,
        }
        self._send_chunked(map(bedrock_payloads.encode_event, events), headers, b"")

    def _injected_error(self, model: str) -> tuple[int, str]:
        retry_after = self.headers.get("x-fake-retry-after") or "1"
        header = self.headers.get("x-fake-error")
        if header:
            return int(header), retry_after
        if m := _ERROR_IN_MODEL.search(model):
            return int(m.group(1)), retry_after
        with self.server.lock:
            if self.server.injected:
                status, remaining = self.server.injected[0]
                if remaining <= 1:
                    self.server.injected.popleft()
                else:
                    self.server.injected[0] = (status, remaining - 1)
                return status, retry_after
        return 0, retry_after


class FakeOpenAI:
    """The fake server on 127.0.0.1 (free port by default), served from a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        chunks: int = 5,
        embedding_dims: int = 8,
        record: bool = True,
    ) -> None:
        self._addr = (host, port)
        self._opts = {"chunks": chunks, "dims": embedding_dims, "record": record}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> FakeOpenAI:
        if self._server is None:
            self._server = _Server(self._addr, **self._opts)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fake-openai",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stopping.set()  # wake delayed handlers
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses
    @property
    def _srv(self) -> _Server:
        if self._server is None:
            raise RuntimeError(
                "FakeOpenAI is not running; call start() or use it as a context manager"
            )
        return self._server

    @property
    def port(self) -> int:
        return self._srv.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    # assertions
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._srv.lock:
            return list(self._srv.requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._srv.lock:
            if not self._srv.requests:
                raise LookupError("no request received yet")
            return self._srv.requests[-1]

    def clear_requests(self) -> None:
        with self._srv.lock:
            self._srv.requests.clear()

    @property
    def server_timings_ns(self) -> list[int]:
        """Per request: ns from the request line received to the last byte written."""
        return list(self._srv.timings_ns)

    def inject_response(self, body: Any, status: int = 200) -> None:
        """Answer the next request with exactly this JSON body (e.g. a malformed response)."""
        with self._srv.lock:
            self._srv.bodies.append((status, body))

    def inject_error(self, status: int, times: int = 1) -> None:
        """Answer the next `times` requests with HTTP `status` (e.g. 429 then success for retries)."""
        with self._srv.lock:
            self._srv.injected.append((status, times))

    @property
    def chunks(self) -> int:
        return self._srv.chunks

    @chunks.setter
    def chunks(self, n: int) -> None:
        self._srv.chunks = n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fake OpenAI-compatible server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--chunks", type=int, default=5)
    ap.add_argument("--dims", type=int, default=8)
    args = ap.parse_args(argv)
    server = _Server((args.host, args.port), chunks=args.chunks, dims=args.dims, record=False)
    print(f"port={server.server_address[1]}", flush=True)
    print(f"base_url=http://{args.host}:{server.server_address[1]}/v1", flush=True)

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
