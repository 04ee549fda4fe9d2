"""What trace and span searches may filter, sort and group on, mapped onto the tables.

Trace searches read ``trace_summary`` grouped by TraceId (partial rows per insert block
are merged with GROUP BY, never FINAL), so trace-level fields are the aggregate aliases
of ``TRACE_AGGREGATES`` and their predicates go into HAVING. Span fields in a trace
search become ``TraceId IN (SELECT TraceId FROM otel_traces WHERE <time range> AND …)``.
Span searches read ``otel_traces``; trace-level fields there become
``TraceId IN (<grouped summary> WHERE …)``.

The subqueries are bounded by the search's time range through the parameters
``w_since``/``w_until`` (and ``w_project``), which every search binds.
"""

from __future__ import annotations

from spanwise_collector.filters import (
    DATETIME,
    DECIMAL,
    ENUM,
    INTEGER,
    NUMBER,
    Field,
    Prefix,
    Schema,
    Text,
)

from ..query.traces import ROOT_ERROR_SQL, TRACE_NAME_SQL
from ..trace_tags.encoding import METADATA_SQL, TAGS_SQL

__all__ = [
    "FEEDBACK_BY_TRACE",
    "SPAN_SCHEMA",
    "SPAN_TYPES",
    "SPAN_WRAP",
    "TRACE_AGGREGATES",
    "TRACE_SCHEMA",
    "TRACE_WRAP",
    "grouped_summary_sql",
]

SPAN_TYPES = ("LLM", "CHAT_MODEL", "CHAIN", "AGENT", "TOOL", "RETRIEVER", "EMBEDDING",
              "RERANKER", "PARSER", "UNKNOWN")  # fmt: skip

# Aggregates over the partial summary rows of one trace: alias -> SQL.
TRACE_AGGREGATES: dict[str, str] = {
    "start": "min(Start)",
    "start_ns": "toUnixTimestamp64Nano(min(Start))",
    "end_ns": "toUnixTimestamp64Nano(max(End))",
    "name": TRACE_NAME_SQL,
    "root_error": ROOT_ERROR_SQL,
    "project": "max(Project)",
    "span_count": "sum(SpanCount)",
    "error_count": "sum(ErrorCount)",
    "input_tokens": "sum(InputTokens)",
    "output_tokens": "sum(OutputTokens)",
    "total_cost": "sum(TotalCost)",
    "priced_spans": "sum(PricedSpans)",
    "session_id": "max(SessionId)",
    "user_id": "max(UserId)",
    "run_id": "max(RunId)",
    # Tags edited after the fact ride in the summary encoded (trace_tags/encoding.py).
    "tags": TAGS_SQL,
    "metadata": METADATA_SQL,
}

# Time-range bounds of the subqueries. A trace's spans start at or after the trace
# start; they may start after `until` (long traces), so the upper bound has a day of slack.
_SPAN_RANGE = (
    "Timestamp >= {w_since:DateTime64(9)} AND Timestamp < {w_until:DateTime64(9)} + INTERVAL 1 DAY"
    " AND ({w_project:String} = '' OR Project = {w_project:String})"
)
# Summary rows of a trace that started in range; earlier insert blocks of a trace begun
# just before `since` are kept (a day of slack) so its start is computed correctly.
_SUMMARY_RANGE = (
    "Start >= {w_since:DateTime64(9)} - INTERVAL 1 DAY AND Start < {w_until:DateTime64(9)}"
    " AND ({w_project:String} = '' OR Project = {w_project:String})"
)


def grouped_summary_sql(aliases: tuple[str, ...] | None = None, where: str = _SUMMARY_RANGE) -> str:
    """One row per trace from the summary table with the given aggregate aliases."""
    names = aliases if aliases is not None else tuple(TRACE_AGGREGATES)
    cols = ", ".join(f"{TRACE_AGGREGATES[a]} AS {a}" for a in names)
    return f"SELECT TraceId, {cols} FROM trace_summary WHERE {where} GROUP BY TraceId"


SPAN_WRAP = f"TraceId IN (SELECT TraceId FROM otel_traces WHERE {_SPAN_RANGE} AND {{pred}})"
TRACE_WRAP = (
    f"TraceId IN (SELECT TraceId FROM ({grouped_summary_sql()}) "
    "WHERE start >= {w_since:DateTime64(9)} AND start < {w_until:DateTime64(9)} AND {pred})"
)

# Case-insensitive substring, written so ClickHouse's text index on lower(Input) /
# lower(Output) (migrations 3, 4) serves it: LIKE with the value's %, _ and \ escaped.
_TEXT_TEMPLATE = (
    "lower({column}) LIKE concat('%', "
    r"replaceRegexpAll(lower({value}), '([%_\\\\])', '\\\\\\1'), '%')"
)


# `feedback.<name>`: the trace's latest live feedback of that name (by creation time; a
# trace rated by several people matches on the newest rating), its text form compared as
# a string, or numerically against a number (store/assessments_ddl.py). Newest snapshot
# per assessment first, as the API reads them.
FEEDBACK_BY_TRACE = (
    "SELECT TraceId,"
    " CAST((groupArray(Name), groupArray(Value)), 'Map(String, String)') AS feedback"
    " FROM (SELECT TraceId, Name, argMax(TextValue, CreatedAt) AS Value FROM"
    " (SELECT TraceId, AssessmentId, argMax(Name, Version) AS Name,"
    " argMax(TextValue, Version) AS TextValue, argMax(CreatedAt, Version) AS CreatedAt,"
    " argMax(Deleted, Version) AS Deleted, argMax(Kind, Version) AS Kind"
    " FROM trace_assessments"
    " WHERE ({w_project:String} = '' OR Project = {w_project:String})"
    " GROUP BY TraceId, AssessmentId)"
    " WHERE Deleted = 0 AND Kind = 'feedback' GROUP BY TraceId, Name)"
    " GROUP BY TraceId"
)
FEEDBACK_WRAP = "TraceId IN (SELECT TraceId FROM (" + FEEDBACK_BY_TRACE + ") WHERE {pred})"

_FEEDBACK = Prefix(
    "feedback",
    sql_template="feedback[{key}]",
    presence="mapContains(feedback, {key})",
    wrap=FEEDBACK_WRAP,
    sortable=False,
    missing_outside_wrap=True,
)


def _trace_fields(wrap: str | None) -> tuple[Field | Prefix, ...]:
    return (
        Field("trace.id", sql="TraceId", wrap=wrap),
        # MLflow's search_traces names (name, status, timestamp_ms, execution_time_ms, with
        # or without "attributes."/"trace."; tag.<key>) are aliases: its filters work unchanged.
        Field("trace.name", sql="name", wrap=wrap, aliases=("name", "attributes.name")),
        Field(
            "trace.status",
            sql="if(root_error > 0, 'ERROR', 'OK')",
            type=ENUM,
            values=("OK", "ERROR"),
            wrap=wrap,
            aliases=("status", "attributes.status"),
        ),
        Field(
            "trace.timestamp",
            sql="start",
            type=DATETIME,
            wrap=wrap,
            aliases=_mlflow_names("timestamp_ms"),
        ),
        Field(
            "trace.duration_ms",
            sql="(end_ns - start_ns) / 1e6",
            type=NUMBER,
            wrap=wrap,
            aliases=_mlflow_names("execution_time_ms"),
        ),
        Field(
            "trace.cost",
            sql="if(priced_spans > 0, total_cost, NULL)",
            type=DECIMAL,
            nullable=True,
            wrap=wrap,
        ),
        Field("trace.input_tokens", sql="input_tokens", type=INTEGER, wrap=wrap),
        Field("trace.output_tokens", sql="output_tokens", type=INTEGER, wrap=wrap),
        Field("trace.span_count", sql="span_count", type=INTEGER, wrap=wrap),
        Field("trace.project", sql="project", wrap=wrap),
        Field("trace.session_id", sql="nullIf(session_id, '')", nullable=True, wrap=wrap),
        Field("trace.user_id", sql="nullIf(user_id, '')", nullable=True, wrap=wrap),
        Field(
            "trace.run_id",
            sql="nullIf(run_id, '')",
            nullable=True,
            wrap=wrap,
            aliases=("attributes.run_id", "run_id"),
        ),
        Prefix(
            "tags",
            sql_template="tags[{key}]",
            presence="mapContains(tags, {key})",
            wrap=wrap,
            aliases=("tag",),  # MLflow takes both
        ),
        Prefix(
            "metadata",
            sql_template="metadata[{key}]",
            presence="mapContains(metadata, {key})",
            wrap=wrap,
            aliases=("request_metadata",),  # MLflow's name
        ),
    )


def _mlflow_names(name: str) -> tuple[str, ...]:
    return (name, f"attributes.{name}", f"trace.{name}")


def _span_fields(wrap: str | None) -> tuple[Field | Prefix | Text, ...]:
    return (
        Field("span.id", sql="SpanId", wrap=wrap),
        Field("span.parent_id", sql="nullIf(ParentSpanId, '')", nullable=True, wrap=wrap),
        Field("span.name", sql="SpanName", wrap=wrap),
        Field("span.type", sql="SpanType", type=ENUM, values=SPAN_TYPES, wrap=wrap),
        # OTel's UNSET means "no error": reported (and filtered) as OK.
        Field(
            "span.status",
            sql="if(StatusCode = 'Error', 'ERROR', 'OK')",
            type=ENUM,
            values=("OK", "ERROR"),
            wrap=wrap,
        ),
        Field("span.model", sql="nullIf(Model, '')", nullable=True, wrap=wrap),
        Field("span.provider", sql="nullIf(Provider, '')", nullable=True, wrap=wrap),
        Field("span.cost", sql="Cost", type=DECIMAL, nullable=True, wrap=wrap),
        Field("span.cost_status", sql="nullIf(CostStatus, '')", nullable=True, wrap=wrap),
        Field("span.duration_ms", sql="Duration / 1e6", type=NUMBER, wrap=wrap),
        Field("span.timestamp", sql="Timestamp", type=DATETIME, wrap=wrap),
        Field("span.input_tokens", sql="InputTokens", type=INTEGER, wrap=wrap),
        Field("span.output_tokens", sql="OutputTokens", type=INTEGER, wrap=wrap),
        Prefix(
            "span.attributes",
            sql_template="SpanAttributes[{key}]",
            presence="mapContains(SpanAttributes, {key})",
            wrap=wrap,
        ),
        Text("trace.text", columns=("Input", "Output"), template=_TEXT_TEMPLATE, wrap=wrap),
    )


#: Trace search: trace fields over the grouped summary, span fields as subqueries.
TRACE_SCHEMA = Schema(*_trace_fields(None), *_span_fields(SPAN_WRAP), _FEEDBACK)

#: Span search and span-level analytics: span columns, trace fields as subqueries.
#: In a span search, ``trace.text`` looks at the span's own input and output.
SPAN_SCHEMA = Schema(
    *(f for f in _trace_fields(TRACE_WRAP) if f.name != "trace.id"),
    Field("trace.id", sql="TraceId"),
    *_span_fields(None),
    _FEEDBACK,
)
