"""The ready-made judges (``spanwise.judges``): the real `openai` client against the local
fake server; what each judge is shown, when it stays silent, and the feedback it leaves."""

from __future__ import annotations

import pytest
from spanwise import judges

from tests.fakes.openai_server import FakeOpenAI

DOCS = [{"page_content": "Paris is the capital of France.", "metadata": {"id": 7}}]
CASES = [
    {"inputs": {"question": "capital of France?"}, "expectations": {"expected_response": "Paris"}},
    {"inputs": {"question": "hello"}},
]


def _app(sdk):
    @sdk.trace(name="retrieve", span_type="RETRIEVER")
    def retrieve(query: str) -> list[dict]:
        return DOCS

    @sdk.trace(name="agent")
    def agent(question: str) -> str:
        if question == "hello":
            return "Hi!"  # no retrieval on small talk
        retrieve(question)
        return "Paris"

    return agent


def test_builtin_judges_score_a_rag_app(sdk, client):
    import openai

    with FakeOpenAI() as server, openai.OpenAI(base_url=server.base_url, api_key="x",
                                               max_retries=0) as llm:  # fmt: skip
        chosen = [
            judges.correctness(client=llm),
            judges.relevance_to_query(client=llm),
            judges.safety(client=llm, model="gpt-4.1-mini"),
            judges.guidelines(["Answer in English", "Be brief"], client=llm),
            judges.retrieval_groundedness(client=llm),
        ]
        result = sdk.evaluate(CASES, _app(sdk), chosen)
        shown = [r.body["messages"][1]["content"] for r in server.requests
                 if r.path.endswith("/chat/completions")]  # fmt: skip

    everything = {"correctness", "relevance_to_query", "safety", "guidelines",
                  "retrieval_groundedness"}  # fmt: skip
    assert set(result.rows[0].scores) == everything
    assert set(result.rows[0].scores.values()) == {True}  # the fake's first valid value
    # No expectations, no retrieval: those two judges have nothing to say on record 2.
    said = {name for name, value in result.rows[1].scores.items() if value is not None}
    assert said == everything - {"correctness", "retrieval_groundedness"}
    assert len(shown) == 5 + 3

    correctness, _, safety, guidelines, grounded = shown[:5]
    assert 'Expected: {"expected_response": "Paris"}' in correctness
    assert 'Answer: "Paris"' in correctness
    assert "Request:" not in safety and 'Answer: "Paris"' in safety
    assert "- Answer in English\n- Be brief" in guidelines
    assert 'Retrieved documents: [[{"page_content": "Paris is the capital of France."' in grounded

    feedback = {a.name: a for a in client.get_trace(result.rows[0].trace_id).info.assessments
                if a.kind == "feedback"}  # fmt: skip
    assert feedback["retrieval_groundedness"].value is True
    assert feedback["safety"].metadata == {"judge_model": "gpt-4.1-mini"}
    assert {a.source.source_type for a in feedback.values()} == {"LLM_JUDGE"}
    assert result.metrics["correctness/mean"] == 1.0
    silent = {a.name for a in client.get_trace(result.rows[1].trace_id).info.assessments}
    assert silent == {"relevance_to_query", "safety", "guidelines"}


def test_a_judge_can_see_the_retrieved_context(sdk):
    judge = sdk.make_judge("cites", "Does {{ outputs }} cite {{ context }}?")
    assert judge.wants == ("outputs", "trace")  # the context comes from the trace


def test_guidelines_must_be_given():
    for bad in ("", [], ["ok", " "], [3]):
        with pytest.raises(Exception, match="guidelines must be text"):
            judges.guidelines(bad)
