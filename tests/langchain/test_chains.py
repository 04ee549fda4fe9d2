"""prompt | chat model | parser chains through the real collector: tree, types, tokens."""

from __future__ import annotations

import asyncio

import pytest
import spanwise
from langchain_core.runnables import RunnableLambda

from .conftest import named, shape
from .models import chain, chat_model, streaming_model

CHAIN_SHAPE = [
    (
        "RunnableSequence",
        "CHAIN",
        [
            ("ChatPromptTemplate", "CHAIN", []),
            ("FakeMessagesListChatModel", "LLM", []),
            ("StrOutputParser", "PARSER", []),
        ],
    )
]


def test_invoke_records_nested_spans_with_model_messages_and_tokens(autolog, fetch_trace):
    with spanwise.start_span("request") as root:
        assert chain().invoke({"city": "Paris"}) == "Paris is sunny"
    trace = fetch_trace(root.trace_id)
    assert shape(trace) == [("request", "UNKNOWN", CHAIN_SHAPE)]
    (llm,) = named(trace, "FakeMessagesListChatModel")
    assert llm.input_tokens == 12 and llm.output_tokens == 5
    assert llm.cached_tokens == 4 and llm.reasoning_tokens == 1
    assert llm.attributes["gen_ai.usage.cache_creation.input_tokens"] == "2"
    assert llm.provider == "fakemessageslistchatmodel"
    assert llm.model == "fake-1"  # gen_ai.response.model from response_metadata
    assert llm.attributes["gen_ai.operation.name"] == "chat"
    assert llm.inputs == [
        {"role": "system", "content": "You answer briefly."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    assert llm.outputs == {"role": "assistant", "content": "Paris is sunny"}
    (seq,) = named(trace, "RunnableSequence")
    assert seq.inputs == {"city": "Paris"} and seq.outputs == "Paris is sunny"
    (parser,) = named(trace, "StrOutputParser")
    assert parser.outputs == "Paris is sunny"
    assert trace.info.input_tokens == 12 and trace.info.output_tokens == 5


def test_top_level_chain_is_the_root_and_is_current_while_it_runs(autolog, fetch_trace):
    seen = {}

    def remember(text: str) -> str:
        seen["trace_id"] = spanwise.get_current_trace_id()
        with spanwise.start_span("inside lambda"):
            pass
        return text.upper()

    runnable = chain() | RunnableLambda(remember)
    assert runnable.invoke({"city": "Paris"}) == "PARIS IS SUNNY"
    trace = fetch_trace(seen["trace_id"])
    assert trace.data.root.name == "RunnableSequence"
    (lam,) = named(trace, "remember")
    (inner,) = named(trace, "inside lambda")
    assert inner.parent_id == lam.span_id  # spans opened inside a runnable nest under it
    assert spanwise.get_current_trace_id() is None  # nothing leaked into the caller


def test_sync_stream_records_time_to_first_token_and_closes(autolog, fetch_trace):
    with spanwise.start_span("request") as root:
        chunks = list(chain(streaming_model()).stream({"city": "Paris"}))
    assert "".join(chunks) == "Paris is sunny today"
    trace = fetch_trace(root.trace_id)
    (llm,) = named(trace, "GenericFakeChatModel")
    assert float(llm.attributes["gen_ai.server.time_to_first_token"]) > 0
    assert llm.attributes["gen_ai.request.stream"] == "true"
    assert llm.outputs["content"] == "Paris is sunny today"
    (seq,) = named(trace, "RunnableSequence")
    assert seq.outputs == "Paris is sunny today" and seq.inputs == {"city": "Paris"}
    assert all(s.end_time_ns >= s.start_time_ns > 0 for s in trace.data.spans)


def test_streamed_answer_is_an_assistant_message(autolog, fetch_trace):
    # A stream ends with an AIMessageChunk: the LLM span and the parser that reads it
    # show the assistant's chat role, as for a plain call.
    with spanwise.start_span("request") as root:
        assert "".join(chain(streaming_model()).stream({"city": "Paris"}))
    trace = fetch_trace(root.trace_id)
    (llm,) = named(trace, "GenericFakeChatModel")
    assert llm.outputs == {"role": "assistant", "content": "Paris is sunny today"}
    (parser,) = named(trace, "StrOutputParser")
    assert parser.inputs == {"role": "assistant", "content": "Paris is sunny today"}


def test_abandoned_stream_still_ends_its_spans(autolog, fetch_trace):
    with spanwise.start_span("request") as root:
        stream = chain(streaming_model()).stream({"city": "Paris"})
        assert next(stream) == "Paris"
        stream.close()
    trace = fetch_trace(root.trace_id)
    names = {s.name for s in trace.data.spans}
    assert {"RunnableSequence", "GenericFakeChatModel", "StrOutputParser"} <= names
    assert all(s.status != "ERROR" for s in trace.data.spans)
    (seq,) = named(trace, "RunnableSequence")
    assert seq.parent_id == trace.data.root.span_id


def test_batch_gives_each_input_its_own_subtree(autolog, fetch_trace):
    with spanwise.start_span("request") as root:
        out = chain(chat_model()).batch([{"city": "Paris"}, {"city": "Lyon"}, {"city": "Nice"}])
    assert out == ["Paris is sunny"] * 3
    trace = fetch_trace(root.trace_id)
    sequences = named(trace, "RunnableSequence")
    assert len(sequences) == 3
    assert {s.parent_id for s in sequences} == {trace.data.root.span_id}
    assert sorted(s.inputs["city"] for s in sequences) == ["Lyon", "Nice", "Paris"]
    for seq in sequences:
        kids = trace.data.children(seq.span_id)
        assert sorted(k.name for k in kids) == sorted(
            ["ChatPromptTemplate", "FakeMessagesListChatModel", "StrOutputParser"]
        )
        (prompt_span,) = [k for k in kids if k.name == "ChatPromptTemplate"]
        assert prompt_span.inputs == seq.inputs  # each child belongs to its own input


def test_abatch_and_gather_keep_parents(autolog, fetch_trace):
    seen = {}

    @spanwise.trace
    async def main():
        seen["trace_id"] = spanwise.get_current_trace_id()
        runnable = chain(chat_model())
        a = await runnable.abatch([{"city": "Paris"}, {"city": "Lyon"}])
        b = await asyncio.gather(*(runnable.ainvoke({"city": c}) for c in ("Nice", "Brest")))
        return a + list(b)

    assert asyncio.run(main()) == ["Paris is sunny"] * 4
    trace = fetch_trace(seen["trace_id"])
    root = trace.data.root
    sequences = named(trace, "RunnableSequence")
    assert len(sequences) == 4 and {s.parent_id for s in sequences} == {root.span_id}
    for seq in sequences:
        kids = trace.data.children(seq.span_id)
        assert len(kids) == 3
        llm = next(k for k in kids if k.span_type == "LLM")
        assert llm.inputs[1]["content"] == f"Weather in {seq.inputs['city']}?"


def test_astream_and_astream_events(autolog, fetch_trace):
    seen = {}

    @spanwise.trace
    async def main():
        seen["trace_id"] = spanwise.get_current_trace_id()
        streamed = [c async for c in chain(streaming_model()).astream({"city": "Paris"})]
        kinds = [
            e["event"]
            async for e in chain(streaming_model()).astream_events({"city": "Lyon"}, version="v2")
        ]
        return streamed, kinds

    streamed, kinds = asyncio.run(main())
    assert "".join(streamed) == "Paris is sunny today"
    assert "on_chat_model_stream" in kinds
    trace = fetch_trace(seen["trace_id"])
    sequences = named(trace, "RunnableSequence")
    assert len(sequences) == 2 and {s.parent_id for s in sequences} == {trace.data.root.span_id}
    for llm in named(trace, "GenericFakeChatModel"):
        assert float(llm.attributes["gen_ai.server.time_to_first_token"]) > 0
        assert llm.parent_id in {s.span_id for s in sequences}
    # after an async run the caller's context is back to the caller's span
    assert spanwise.get_current_trace_id() is None


def test_spans_after_an_async_run_do_not_nest_under_it(autolog, fetch_trace):
    seen = {}

    async def main():
        await chain().ainvoke({"city": "Paris"})
        # LangChain ends async runs in a copied context; the next span must not
        # become a child of the finished chain.
        with spanwise.start_span("afterwards") as span:
            seen["trace_id"] = span.trace_id

    asyncio.run(main())
    trace = fetch_trace(seen["trace_id"])
    assert [s.name for s in trace.data.spans] == ["afterwards"]


def test_error_in_a_chain_marks_spans_and_propagates(autolog, fetch_trace):
    def boom(_: str) -> str:
        raise ValueError("parser broke")

    with pytest.raises(ValueError, match="parser broke"), spanwise.start_span("request") as root:
        (chain() | RunnableLambda(boom)).invoke({"city": "Paris"})
    trace = fetch_trace(root.trace_id)
    (lam,) = named(trace, "boom")
    (seq,) = named(trace, "RunnableSequence")
    for span in (lam, seq):
        assert span.status == "ERROR" and "parser broke" in span.status_message
        assert span.events[0].name == "exception"
    assert named(trace, "FakeMessagesListChatModel")[0].status != "ERROR"


def test_autolog_twice_does_not_duplicate_spans(autolog, fetch_trace):
    autolog.autolog()
    with spanwise.start_span("request") as root:
        chain().invoke({"city": "Paris"})
    trace = fetch_trace(root.trace_id)
    assert shape(trace) == [("request", "UNKNOWN", CHAIN_SHAPE)]


def test_disable_stops_tracing(autolog, fetch_trace):
    autolog.autolog(disable=True)
    with spanwise.start_span("request") as root:
        chain().invoke({"city": "Paris"})
    trace = fetch_trace(root.trace_id)
    assert [s.name for s in trace.data.spans] == ["request"]


def test_log_inputs_and_outputs_can_be_turned_off(autolog, fetch_trace):
    autolog.autolog(log_inputs=False, log_outputs=False)
    with spanwise.start_span("request") as root:
        chain().invoke({"city": "Paris"})
    trace = fetch_trace(root.trace_id)
    (llm,) = named(trace, "FakeMessagesListChatModel")
    assert llm.inputs is None and llm.outputs is None
    assert llm.input_tokens == 12  # usage is still recorded


def test_config_metadata_tags_and_session_describe_the_trace(autolog, fetch_trace, client):
    # What the app passes in the run's config is what it searches traces by later.
    config = {
        "metadata": {"customer": "acme", "attempt": 2, "session_id": "chat-7"},
        "tags": ["prod"],
    }
    with spanwise.start_span("request") as root:
        chain().invoke({"city": "Paris"}, config=config)
    info = fetch_trace(root.trace_id).info
    assert info.metadata == {"customer": "acme", "attempt": "2", "session_id": "chat-7"}
    assert info.tags == {"prod": ""} and info.session_id == "chat-7"
    found = client.search_traces(filter_string="metadata.customer = 'acme' AND tags.prod != 'x'")
    assert root.trace_id in [t.info.trace_id for t in found]
    # LangChain's own metadata (ls_provider, ...) of a chat model called directly stays out
    with spanwise.start_span("request") as root:
        chat_model().invoke("Hi", config={"metadata": {"customer": "beta"}})
    assert fetch_trace(root.trace_id).info.metadata == {"customer": "beta"}


def test_user_id_and_langfuses_handler_keys_describe_the_trace(autolog, fetch_trace):
    # An app moving from Langfuse's CallbackHandler passes its trace attributes this way.
    langfuse = {
        "metadata": {
            "langfuse_user_id": "u-42",
            "langfuse_session_id": "conv-9",
            "langfuse_tags": ["beta", "eu"],
            "customer": "acme",
        }
    }
    with spanwise.start_span("request") as root:
        chain().invoke({"city": "Paris"}, config=langfuse)
    info = fetch_trace(root.trace_id).info
    assert (info.user_id, info.session_id) == ("u-42", "conv-9")
    assert info.tags == {"beta": "", "eu": ""} and info.metadata == {"customer": "acme"}
    # a plain user_id names the user too (and stays in the metadata, as session_id does)
    with spanwise.start_span("request") as root:
        chain().invoke({"city": "Rome"}, config={"metadata": {"user_id": "u-7"}})
    info = fetch_trace(root.trace_id).info
    assert info.user_id == "u-7" and info.metadata == {"user_id": "u-7"}
    # the app's own choice wins
    with spanwise.start_span("request") as root:
        spanwise.update_current_trace(user_id="chosen")
        chain().invoke({"city": "Oslo"}, config={"metadata": {"user_id": "u-7"}})
    assert fetch_trace(root.trace_id).info.user_id == "chosen"


def test_explicit_handler_without_autolog(sdk, fetch_trace):
    from spanwise.langchain import SpanwiseCallbackHandler

    handler = SpanwiseCallbackHandler()
    with spanwise.start_span("request") as root:
        chain().invoke({"city": "Paris"}, config={"callbacks": [handler]})
    trace = fetch_trace(root.trace_id)
    assert shape(trace) == [("request", "UNKNOWN", CHAIN_SHAPE)]


def test_explicit_handler_with_autolog_does_not_duplicate(autolog, fetch_trace):
    handler = autolog.SpanwiseCallbackHandler()
    with spanwise.start_span("request") as root:
        chain().invoke({"city": "Paris"}, config={"callbacks": [handler]})
    trace = fetch_trace(root.trace_id)
    assert shape(trace) == [("request", "UNKNOWN", CHAIN_SHAPE)]


def test_a_string_prompt_shows_the_text_the_llm_gets(autolog, fetch_trace):
    # PromptTemplate renders text for a completion model, not a chat message.
    from langchain_core.language_models.fake import FakeListLLM
    from langchain_core.prompts import PromptTemplate

    runnable = PromptTemplate.from_template("Tell me about {topic}") | FakeListLLM(
        responses=["cats purr"]
    )
    with spanwise.start_span("request") as root:
        assert runnable.invoke({"topic": "cats"}) == "cats purr"
    trace = fetch_trace(root.trace_id)
    (prompt_span,) = named(trace, "PromptTemplate")
    assert prompt_span.outputs == "Tell me about cats"
    (llm,) = named(trace, "FakeListLLM")
    assert llm.inputs == "Tell me about cats" and llm.outputs == "cats purr"
