"""LLM judges: the real `openai` client against the local fake OpenAI server; the
verdict (structured output) becomes feedback on each evaluated trace."""

from __future__ import annotations

import pytest

from tests.evaluation.test_evaluate import CASES, answer
from tests.fakes.openai_server import FakeOpenAI


def test_a_judge_scores_each_answer_with_the_model_verdict(sdk, client):
    import openai

    with FakeOpenAI() as server, openai.OpenAI(base_url=server.base_url, api_key="x",
                                               max_retries=0) as llm:  # fmt: skip
        correct = sdk.make_judge(
            "correct", "Question: {{ inputs }}\nAnswer: {{ outputs }}\nExpected: {{ expectations }}",
            client=llm, model="gpt-4o-mini",
        )  # fmt: skip
        tone = sdk.make_judge("tone", "Rate the tone of {{ outputs }}", client=llm,
                              feedback_type=["polite", "rude"])  # fmt: skip
        result = sdk.evaluate(CASES[:2], answer, [correct, tone])
        requests = [r.body for r in server.requests if r.path.endswith("/chat/completions")]

    # the fake answers a strict json_schema with its first valid value: true, "polite"
    assert [r.scores for r in result.rows] == [{"correct": True, "tone": "polite"}] * 2
    assert result.metrics["correct/mean"] == 1.0 and "tone/mean" not in result.metrics
    feedback = {a.name: a for a in client.get_trace(result.rows[1].trace_id).info.assessments
                if a.kind == "feedback"}  # fmt: skip
    assert feedback["correct"].value is True and feedback["correct"].rationale == "text"
    assert feedback["correct"].metadata == {"judge_model": "gpt-4o-mini"}
    assert feedback["tone"].value == "polite"
    # a judge's verdict is an LLM judge's, as in MLflow (a code scorer's stays CODE)
    assert feedback["correct"].source == sdk.AssessmentSource("LLM_JUDGE", "correct")
    assert feedback["tone"].source == sdk.AssessmentSource("LLM_JUDGE", "tone")

    # what the judge was shown: the record's inputs, the answer and the expectations as JSON
    first = requests[0]
    user = first["messages"][1]["content"]
    assert user == ('Question: {"question": "2+2?"}\nAnswer: "4"\n'
                    'Expected: {"answer": "4"}')  # fmt: skip
    schema = first["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["value"] == {"type": "boolean"}
    assert requests[1]["response_format"]["json_schema"]["schema"]["properties"]["value"] == {
        "type": "string", "enum": ["polite", "rude"],
    }  # fmt: skip
    assert len(requests) == 4  # two judges × two records


def test_bad_judges_are_refused(sdk):
    with pytest.raises(sdk.InvalidParameterError, match="inputs"):
        sdk.make_judge("blind", "Is it good?")
    with pytest.raises(sdk.InvalidParameterError, match="feedback_type"):
        sdk.make_judge("odd", "{{ outputs }}", feedback_type=dict)


def test_a_claude_judge_gives_its_verdict_by_a_forced_tool_call(sdk, client):
    import anthropic

    with FakeOpenAI() as server, anthropic.Anthropic(base_url=server.url, api_key="x",
                                                     max_retries=0) as llm:  # fmt: skip
        tone = sdk.make_judge("tone", "Rate the tone of {{ outputs }}", client=llm,
                              feedback_type=["polite", "rude"])  # fmt: skip
        result = sdk.evaluate(CASES[:1], answer, [tone])
        [request] = [r.body for r in server.requests if r.path == "/v1/messages"]

    # the fake calls the forced tool with the first valid value of its input schema
    assert result.rows[0].scores == {"tone": "polite"}
    [feedback] = [a for a in client.get_trace(result.rows[0].trace_id).info.assessments
                  if a.kind == "feedback"]  # fmt: skip
    assert feedback.value == "polite" and feedback.rationale == "text"
    assert feedback.metadata == {"judge_model": "claude-haiku-4-5"}  # the Claude default
    assert request["tool_choice"] == {"type": "tool", "name": "verdict"}
    assert request["tools"][0]["input_schema"]["properties"]["value"] == {
        "type": "string", "enum": ["polite", "rude"],
    }  # fmt: skip
    assert request["messages"] == [{"role": "user", "content": 'Rate the tone of "4"'}]
    assert "temperature" not in request


def test_model_uris_pick_and_check_the_provider(sdk):
    import anthropic
    import openai

    with pytest.raises(sdk.InvalidParameterError, match="openai:/"):
        sdk.make_judge("j", "{{ outputs }}", model="gemini:/flash")
    claude = anthropic.Anthropic(api_key="x")
    with pytest.raises(sdk.InvalidParameterError, match="not served by the anthropic client"):
        sdk.make_judge("j", "{{ outputs }}", model="openai:/gpt-4o", client=claude)
    with pytest.raises(sdk.InvalidParameterError, match="client must be"):
        sdk.make_judge("j", "{{ outputs }}", client=object())
    # accepted: a provider URI with its client, and a bare model name with either client
    sdk.make_judge("j", "{{ outputs }}", model="anthropic:/claude-sonnet-4-5", client=claude)
    sdk.make_judge("j", "{{ outputs }}", model="gpt-4o", client=openai.OpenAI(api_key="x"))
