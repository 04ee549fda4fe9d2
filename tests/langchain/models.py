"""Small real langchain-core building blocks shared by the tests."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

USAGE = {
    "input_tokens": 12,
    "output_tokens": 5,
    "total_tokens": 17,
    "input_token_details": {"cache_read": 4, "cache_creation": 2},
    "output_token_details": {"reasoning": 1},
}


def answer(text: str = "Paris is sunny") -> AIMessage:
    return AIMessage(content=text, usage_metadata=USAGE, response_metadata={"model_name": "fake-1"})


def chat_model(n: int = 1) -> FakeMessagesListChatModel:
    return FakeMessagesListChatModel(responses=[answer() for _ in range(n)])


def streaming_model(n: int = 1) -> GenericFakeChatModel:
    # GenericFakeChatModel streams its message word by word.
    return GenericFakeChatModel(messages=iter([answer("Paris is sunny today")] * n))


def prompt() -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages(
        [("system", "You answer briefly."), ("human", "Weather in {city}?")]
    )


def chain(model=None):
    return prompt() | (model or chat_model()) | StrOutputParser()
