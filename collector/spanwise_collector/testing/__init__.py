"""Local stand-ins for remote services, shipped so `spanwise demo` and tests can use them.

`openai_server.FakeOpenAI` is a deterministic OpenAI-compatible HTTP server (stdlib only).
"""
