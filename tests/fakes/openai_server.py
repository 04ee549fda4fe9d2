"""Re-export: the fake OpenAI server lives in the installable package so `spanwise demo` ships it."""

import sys

from spanwise_collector.testing.openai_server import *  # noqa: F403
from spanwise_collector.testing.openai_server import FakeOpenAI, RecordedRequest, main

__all__ = ["FakeOpenAI", "RecordedRequest", "main"]

if __name__ == "__main__":
    sys.exit(main())
