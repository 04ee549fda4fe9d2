"""@tool tools and a BaseRetriever subclass as TOOL / RETRIEVER spans."""

from __future__ import annotations

import pytest
import spanwise
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import tool

from .conftest import named, redact_refusing
from .models import chat_model


class ForecastUnavailable(RuntimeError):
    pass


@tool
def weather(city: str, days: int = 1) -> str:
    """The weather forecast for a city."""
    with spanwise.start_span("weather backend"):
        return f"sunny in {city} for {days} day(s)"


@tool
def flaky_forecast(city: str) -> str:
    """A forecast service that is down."""
    raise ForecastUnavailable(f"no forecast for {city}")


class KeywordRetriever(BaseRetriever):
    """Returns the documents that share a word with the query."""

    docs: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        words = set(query.lower().split())
        return [d for d in self.docs if words & set(d.page_content.lower().split())]


DOCS = [
    Document(page_content="paris weather is mild", metadata={"source": "a.txt"}, id="a"),
    Document(page_content="lyon food is great", metadata={"source": "b.txt"}, id="b"),
]


def test_tool_span_has_name_inputs_output_and_nests_inner_spans(autolog, fetch_trace):
    with spanwise.start_span("request") as root:
        assert weather.invoke({"city": "Paris", "days": 2}) == "sunny in Paris for 2 day(s)"
    trace = fetch_trace(root.trace_id)
    (span,) = named(trace, "weather")
    assert span.span_type == "TOOL" and span.parent_id == trace.data.root.span_id
    assert span.inputs == {"city": "Paris", "days": 2}
    assert span.outputs == "sunny in Paris for 2 day(s)"
    assert span.attributes["gen_ai.tool.name"] == "weather"
    (backend,) = named(trace, "weather backend")
    assert backend.parent_id == span.span_id


def test_tool_call_from_a_message_records_the_call_id(autolog, fetch_trace):
    call = {"name": "weather", "args": {"city": "Nice"}, "id": "call_7", "type": "tool_call"}
    with spanwise.start_span("request") as root:
        message = weather.invoke(call)
    assert message.content == "sunny in Nice for 1 day(s)"
    (span,) = named(fetch_trace(root.trace_id), "weather")
    assert span.attributes["gen_ai.tool.call.id"] == "call_7"
    assert span.outputs == "sunny in Nice for 1 day(s)"


def test_failing_tool_is_an_error_span_and_the_exception_propagates(autolog, fetch_trace):
    with (
        pytest.raises(ForecastUnavailable, match="no forecast for Lyon"),
        spanwise.start_span("request") as root,
    ):
        flaky_forecast.invoke({"city": "Lyon"})
    trace = fetch_trace(root.trace_id)
    (span,) = named(trace, "flaky_forecast")
    assert span.span_type == "TOOL" and span.status == "ERROR"
    assert "no forecast for Lyon" in span.status_message
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes["exception.type"].endswith("ForecastUnavailable")
    assert span.attributes["error.type"] == "ForecastUnavailable"


def test_retriever_records_query_and_documents(autolog, fetch_trace):
    retriever = KeywordRetriever(docs=DOCS)
    with spanwise.start_span("request") as root:
        found = retriever.invoke("Paris weather")
    assert [d.id for d in found] == ["a"]
    (span,) = named(fetch_trace(root.trace_id), "KeywordRetriever")
    assert span.span_type == "RETRIEVER"
    assert span.inputs == {"query": "Paris weather"}
    assert span.outputs == [
        {"page_content": "paris weather is mild", "id": "a", "metadata": {"source": "a.txt"}}
    ]


def test_retriever_in_a_chain_with_a_model(autolog, fetch_trace):
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough

    def join(docs: list[Document]) -> str:
        return "\n".join(d.page_content for d in docs)

    rag = (
        {"context": KeywordRetriever(docs=DOCS) | join, "question": RunnablePassthrough()}
        | ChatPromptTemplate.from_template("{context}\n\nQ: {question}")
        | chat_model()
    )
    with spanwise.start_span("request") as root:
        rag.invoke("lyon food")
    trace = fetch_trace(root.trace_id)
    (retr,) = named(trace, "KeywordRetriever")
    (par,) = named(trace, "RunnableParallel<context,question>")
    (seq,) = [s for s in named(trace, "RunnableSequence") if s.parent_id == par.span_id]
    assert retr.parent_id == seq.span_id
    (llm,) = named(trace, "FakeMessagesListChatModel")
    assert llm.inputs[0]["content"].startswith("lyon food is great")


def test_chat_model_inside_a_traced_helper_inside_a_tool_nests_under_the_helper(
    autolog, fetch_trace
):
    @spanwise.trace(name="summarise")
    def summarise(text: str) -> str:
        return chat_model().invoke(text).content

    @tool
    def research(topic: str) -> str:
        """Research a topic."""
        return summarise(f"notes on {topic}")

    with spanwise.start_span("request") as root:
        assert research.invoke({"topic": "Paris"}) == "Paris is sunny"
    trace = fetch_trace(root.trace_id)
    (tool_span,) = named(trace, "research")
    (helper,) = named(trace, "summarise")
    (llm,) = named(trace, "FakeMessagesListChatModel")
    assert helper.parent_id == tool_span.span_id
    assert llm.parent_id == helper.span_id


def test_a_failure_inside_the_handler_never_breaks_the_chain(autolog, fetch_trace, monkeypatch):
    with redact_refusing(monkeypatch, "explode"), spanwise.start_span("request") as root:
        assert weather.invoke({"city": "explode"}) == "sunny in explode for 1 day(s)"
        assert weather.invoke({"city": "Paris"}) == "sunny in Paris for 1 day(s)"
    trace = fetch_trace(root.trace_id)
    failed, ok = sorted(named(trace, "weather"), key=lambda s: s.start_time_ns)
    assert failed.inputs is None and failed.outputs is None and failed.status != "ERROR"
    assert ok.inputs == {"city": "Paris"}


def test_a_tool_error_the_tool_handled_is_still_an_error_span(autolog, fetch_trace):
    # handle_tool_error turns the exception into the ToolMessage an agent reads
    # (status "error"): the tool failed even though nothing was raised.
    from langchain_core.tools import StructuredTool, ToolException

    def book(city: str) -> str:
        """Book a hotel."""
        raise ToolException(f"no rooms in {city}")

    booking = StructuredTool.from_function(book, handle_tool_error=True)
    call = {"name": "book", "args": {"city": "Oslo"}, "id": "call_9", "type": "tool_call"}
    with spanwise.start_span("request") as root:
        message = booking.invoke(call)
        ok = weather.invoke({**call, "name": "weather", "id": "call_10"})
    assert message.status == "error" and message.content == "no rooms in Oslo"
    assert ok.status == "success"
    trace = fetch_trace(root.trace_id)
    (span,) = named(trace, "book")
    assert span.status == "ERROR" and span.status_message == "no rooms in Oslo"
    assert span.outputs == "no rooms in Oslo"
    assert named(trace, "weather")[0].status == "OK"
    assert trace.info.status == "OK"  # the app carried on: only the tool failed
