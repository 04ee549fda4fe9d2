"""InvokeModel bodies of the non-Claude model families on Bedrock, deterministic.

Bedrock passes each family's own JSON through, so every family names its reply, its stop
reason and its stream pieces differently. The family is read from the model id:
``amazon.titan-text*`` (Titan Text), ``meta.llama*`` (Llama), ``mistral.*`` (Mistral),
``amazon.nova*`` (Nova's ``messages-v1`` body); anything else is Claude's Messages body
(`_anthropic_payloads`).

Rules: the prompt is Titan's ``inputText``, Llama's and Mistral's ``prompt``, or the text
of Nova's last user message; the reply is ``"echo: " + prompt``; input tokens = the
prompt's words, output tokens = the reply's words (min 1 each), also in the
``X-Amzn-Bedrock-*-Token-Count`` headers; the stop reason is the family's "done" word.
A stream sends the reply in `n` pieces, the stop reason with the last one, and Bedrock's
``amazon-bedrock-invocationMetrics`` on the last chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._openai_payloads import split_text, words

__all__ = ["family", "invoke_body", "invoke_chunks", "token_headers"]

# family -> its "finished normally" stop reason
_STOP = {"titan": "FINISH", "llama": "stop", "mistral": "stop", "nova": "end_turn"}


def family(model: str) -> str | None:
    """The non-Claude family a model id belongs to, or None for Claude."""
    name = model.split(".", 1)[-1] if model.startswith(("us.", "eu.", "apac.")) else model
    if name.startswith("amazon.titan-text"):
        return "titan"
    if name.startswith("amazon.nova"):
        return "nova"
    if name.startswith("meta.llama"):
        return "llama"
    if name.startswith("mistral."):
        return "mistral"
    return None


def _prompt(kind: str, req: dict[str, Any]) -> str:
    if kind == "titan":
        return str(req.get("inputText") or "")
    if kind == "nova":
        users = [m for m in req.get("messages") or [] if m.get("role") == "user"]
        blocks = users[-1].get("content") or [] if users else []
        return " ".join(b["text"] for b in blocks if isinstance(b.get("text"), str))
    return str(req.get("prompt") or "")


def _plan(kind: str, req: dict[str, Any]) -> tuple[str, int, int]:
    """(reply, input tokens, output tokens)."""
    prompt = _prompt(kind, req)
    reply = f"echo: {prompt}" if prompt else "echo"
    return reply, max(1, words(prompt)), max(1, words(reply))


def invoke_body(kind: str, req: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """(InvokeModel's body, input tokens, output tokens)."""
    reply, tokens_in, tokens_out = _plan(kind, req)
    stop = _STOP[kind]
    if kind == "titan":
        result = {"tokenCount": tokens_out, "outputText": reply, "completionReason": stop}
        body: dict[str, Any] = {"inputTextTokenCount": tokens_in, "results": [result]}
    elif kind == "llama":
        body = {
            "generation": reply,
            "prompt_token_count": tokens_in,
            "generation_token_count": tokens_out,
            "stop_reason": stop,
        }
    elif kind == "mistral":
        body = {"outputs": [{"text": reply, "stop_reason": stop}]}
    else:
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": reply}]}},
            "stopReason": stop,
            "usage": {
                "inputTokens": tokens_in,
                "outputTokens": tokens_out,
                "totalTokens": tokens_in + tokens_out,
            },
        }
    return body, tokens_in, tokens_out


def token_headers(tokens_in: int, tokens_out: int, rid: str) -> dict[str, str]:
    return {
        "x-amzn-RequestId": rid,
        "X-Amzn-Bedrock-Input-Token-Count": str(tokens_in),
        "X-Amzn-Bedrock-Output-Token-Count": str(tokens_out),
    }


def _piece(kind: str, text: str, stop: str | None) -> list[dict[str, Any]]:
    """The chunk(s) carrying one piece of text (and the stop reason on the last)."""
    if kind == "titan":
        return [{"outputText": text, "index": 0, "completionReason": stop}]
    if kind == "llama":
        return [{"generation": text, "stop_reason": stop}]
    if kind == "mistral":
        return [{"outputs": [{"text": text, "stop_reason": stop}]}]
    chunks: list[dict[str, Any]] = [
        {"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": 0}}
    ]
    if stop is not None:
        chunks += [{"contentBlockStop": {"contentBlockIndex": 0}},
                   {"messageStop": {"stopReason": stop}}]  # fmt: skip
    return chunks


def invoke_chunks(kind: str, req: dict[str, Any], n: int) -> Iterator[dict[str, Any]]:
    """InvokeModelWithResponseStream's chunks (decoded JSON), metrics on the last."""
    reply, tokens_in, tokens_out = _plan(kind, req)
    pieces = split_text(reply, n)
    chunks: list[dict[str, Any]] = []
    if kind == "nova":
        chunks.append({"messageStart": {"role": "assistant"}})
    for i, text in enumerate(pieces):
        chunks += _piece(kind, text, _STOP[kind] if i == len(pieces) - 1 else None)
    if kind == "nova":
        chunks.append({"metadata": {"usage": {"inputTokens": tokens_in,
                                              "outputTokens": tokens_out}}})  # fmt: skip
    metrics = {
        "inputTokenCount": tokens_in,
        "outputTokenCount": tokens_out,
        "invocationLatency": 1,
        "firstByteLatency": 1,
    }
    chunks[-1] = {**chunks[-1], "amazon-bedrock-invocationMetrics": metrics}
    yield from chunks
