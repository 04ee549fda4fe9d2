"""Settings of the SDK: from ``spanwise.configure(...)`` over the environment."""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "http://localhost:4317"
DEFAULT_PROJECT = "default"
DEFAULT_MAX_VALUE_CHARS = 32_000

Redactor = Callable[[Any], Any]


@dataclass(frozen=True)
class Settings:
    """The SDK configuration in force. Frozen: ``configure`` swaps the whole object."""

    endpoint: str = DEFAULT_ENDPOINT
    api_key: str | None = None
    project: str = DEFAULT_PROJECT
    service_name: str | None = None
    sample_rate: float = 1.0
    redact: Redactor | None = None
    capture_inputs: bool = True
    capture_outputs: bool = True
    max_value_chars: int = DEFAULT_MAX_VALUE_CHARS
    enabled: bool = True
    # BatchSpanProcessor tuning: bounded memory if the collector is away.
    max_queue_size: int = 8192
    max_export_batch_size: int = 1024
    schedule_delay_ms: int = 500
    export_timeout_ms: int = 10_000
    # Queue full while export makes progress: the producing thread waits up to this long
    # per stall for room (as Kafka's max.block.ms) instead of dropping; 0 = drop at once.
    max_block_ms: int = 1_000
    # Longest wait for the collector at interpreter exit / configure(); unsent spans are dropped.
    shutdown_timeout_ms: int = 5_000
    extra_headers: tuple[tuple[str, str], ...] = field(default=())
    # The collector's HTTP API (reads, feedback, datasets, prompts, evaluate), when it is
    # not SPANWISE_API_URL nor port 4318 next to the gRPC endpoint.
    api_url: str | None = None

    @property
    def grpc_target(self) -> str:
        """``host:port`` for the gRPC channel."""
        parts = urlsplit(self.endpoint if "://" in self.endpoint else f"http://{self.endpoint}")
        host = parts.hostname or "localhost"
        if ":" in host:  # IPv6: bracketed, or gRPC reads "::1:4317" as another address
            host = f"[{host}]"
        return f"{host}:{parts.port or 4317}"

    @property
    def insecure(self) -> bool:
        return not self.endpoint.startswith("https://")

    @property
    def query_url(self) -> str:
        """The collector's HTTP API, next to its gRPC endpoint unless set explicitly."""
        explicit = self.api_url or os.environ.get("SPANWISE_API_URL")
        if explicit:
            return explicit.rstrip("/")
        host = self.grpc_target.rsplit(":", 1)[0]
        scheme = "http" if self.insecure else "https"
        return f"{scheme}://{host}:4318"


PROJECT_HEADER = "x-spanwise-project"


def project_metadata(project: str) -> tuple[str, str | bytes]:
    """The project as a gRPC metadata entry. gRPC refuses a whole call whose plain
    metadata value is not printable ASCII ("Invalid metadata": every span and run event
    of a project named "проект" failed), so other names go as UTF-8 under the binary
    ``-bin`` key, which the collector reads first."""
    if all(" " <= char <= "~" for char in project):
        return (PROJECT_HEADER, project)
    return (f"{PROJECT_HEADER}-bin", project.encode("utf-8", "replace"))


def _env_ratio(name: str, default: float) -> float:
    """A ratio in [0, 1] from ``name``; unset: ``default``; malformed or out of range:
    ``default`` and a warning (e.g. ``10`` meant as 10%; OTel's sampler refuses it)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:  # NaN too
        import logging

        logging.getLogger("spanwise").warning(
            "spanwise: ignoring %s=%r (expected a number between 0 and 1); using %s",
            name, raw, default,
        )  # fmt: skip
        return default
    return value


def _env_int(name: str, default: int, minimum: int) -> int:
    """A whole number of ``name``; unset, malformed or below ``minimum``: ``default``
    (as OTel's SDK does, a bad value never stops the application)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        import logging

        logging.getLogger("spanwise").warning(
            "spanwise: ignoring %s=%r (expected a whole number >= %d); using %d",
            name, raw, minimum, default,
        )  # fmt: skip
        return default
    return value


def endpoint_error(endpoint: str) -> str | None:
    """Why ``endpoint`` cannot be connected to (e.g. its port is not a number), or ``None``."""
    try:
        parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
        parts.port  # noqa: B018 -- raises on a port that is not a number or out of range
    except ValueError as exc:
        return str(exc)
    return None


COMPRESSIONS = ("gzip", "deflate", "none")
_WARNED_COMPRESSION: set[str] = set()


def env_compression() -> str:
    """The export's gRPC compression from ``OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`` /
    ``OTEL_EXPORTER_OTLP_COMPRESSION``: gzip, deflate or none (the default). Read here,
    not by OTel's exporter, which raises on anything but gzip, even the spec's "none",
    and that turned all tracing off; another value is ignored with one warning."""
    for name in ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"):
        raw = os.environ.get(name, "").strip()
        if not raw:
            continue
        if raw.lower() in COMPRESSIONS:
            return raw.lower()
        if raw not in _WARNED_COMPRESSION:
            _WARNED_COMPRESSION.add(raw)
            import logging

            logging.getLogger("spanwise").warning(
                "spanwise: ignoring %s=%r (expected gzip, deflate or none); sending spans "
                "uncompressed", name, raw,
            )  # fmt: skip
        return "none"
    return "none"


def api_key_error(key: str) -> str | None:
    """Why ``key`` cannot go in a header (gRPC and HTTP take printable ASCII only;
    with one such character every export failed with 'Invalid metadata'), or ``None``."""
    bad = next((i for i, char in enumerate(key) if not " " <= char <= "~"), None)
    if bad is None:
        return None
    return f"character {bad + 1} is not printable ASCII, which a header cannot carry"  # not echoed


def _env_api_key() -> str | None:
    # Stripped: a key read from a file or a secret often ends with a newline.
    raw = os.environ.get("SPANWISE_API_KEY", "").strip()
    error = api_key_error(raw)
    if error:
        import logging

        logging.getLogger("spanwise").warning(
            "spanwise: ignoring SPANWISE_API_KEY (%s); sending no API key", error
        )
        return None
    return raw or None


def _env_endpoint() -> str:
    raw = os.environ.get("SPANWISE_ENDPOINT", "").strip()
    if not raw:
        return DEFAULT_ENDPOINT
    error = endpoint_error(raw)
    if error:
        import logging

        logging.getLogger("spanwise").warning(
            "spanwise: ignoring SPANWISE_ENDPOINT=%r (%s); using %s", raw, error, DEFAULT_ENDPOINT
        )
        return DEFAULT_ENDPOINT
    return raw


def from_environment() -> Settings:
    """Settings from ``SPANWISE_*`` and the standard ``OTEL_*`` variables (the batch
    span processor's ``OTEL_BSP_*`` tune the export queue, in ms and spans)."""
    d = Settings
    return Settings(
        max_queue_size=_env_int("OTEL_BSP_MAX_QUEUE_SIZE", d.max_queue_size, 1),
        max_export_batch_size=_env_int(
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", d.max_export_batch_size, 1
        ),
        schedule_delay_ms=_env_int("OTEL_BSP_SCHEDULE_DELAY", d.schedule_delay_ms, 0),
        export_timeout_ms=_env_int("OTEL_BSP_EXPORT_TIMEOUT", d.export_timeout_ms, 1),
        endpoint=_env_endpoint(),
        api_key=_env_api_key(),
        project=os.environ.get("SPANWISE_PROJECT", DEFAULT_PROJECT) or DEFAULT_PROJECT,
        service_name=os.environ.get("OTEL_SERVICE_NAME") or None,
        sample_rate=_env_ratio("SPANWISE_SAMPLE_RATE", 1.0),
        enabled=os.environ.get("SPANWISE_DISABLED", "").lower() not in ("1", "true", "yes"),
    )


# configure()'s numbers and their least values; text and switches, by type.
_WHOLE_NUMBERS = {
    "max_value_chars": 1, "max_queue_size": 1, "max_export_batch_size": 1,
    "schedule_delay_ms": 0, "export_timeout_ms": 1, "max_block_ms": 0, "shutdown_timeout_ms": 0,
}  # fmt: skip
_TEXTS = ("api_key", "project", "service_name", "api_url")
_SWITCHES = ("capture_inputs", "capture_outputs", "enabled")
_FIELDS = frozenset(Settings.__dataclass_fields__)


def _check_types(changes: dict[str, Any]) -> None:
    """A value of the wrong type was taken, then failed later: on every traced call
    (inputs lost), in the exporter (spans lost as 'cannot export'), or in the middle of
    a later configure() that it left half applied."""
    unknown = sorted(set(changes) - _FIELDS)
    if unknown:
        raise TypeError(f"configure() got unknown settings: {', '.join(unknown)}")
    for name, value in changes.items():
        if name in _WHOLE_NUMBERS:
            least = _WHOLE_NUMBERS[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be a whole number, got {type(value).__name__}")
            if value < least:
                raise ValueError(f"{name} must be >= {least}, got {value}")
            changes[name] = int(value)  # a numpy integer too, stored as Python's
        elif name in _TEXTS and not isinstance(value, str):
            raise TypeError(f"{name} must be a str, got {type(value).__name__}")
        elif name in _SWITCHES and not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if changes.get("project") == "":
        raise ValueError("project must not be empty")


def updated(settings: Settings, **changes: Any) -> Settings:
    """A copy of ``settings`` with the given (validated) changes; ``None`` means unchanged."""
    changes = {k: v for k, v in changes.items() if v is not None}
    _check_types(changes)
    if "sample_rate" in changes:
        rate = float(changes["sample_rate"])
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"sample_rate must be between 0 and 1, got {rate}")
        changes["sample_rate"] = rate
    if "redact" in changes and not callable(changes["redact"]):
        raise TypeError("redact must be a callable taking the captured value and returning it")
    if "api_key" in changes:
        key = str(changes["api_key"]).strip()
        error = api_key_error(key)
        if error:
            raise ValueError(f"api_key cannot be sent: {error}")
        changes["api_key"] = key or None
    if "endpoint" in changes:
        endpoint = str(changes["endpoint"]).strip()
        error = "it is empty" if not endpoint else endpoint_error(endpoint)
        if error:
            raise ValueError(
                f"endpoint must be a URL such as http://localhost:4317, got {endpoint!r}: {error}"
            )
    return replace(settings, **changes)
