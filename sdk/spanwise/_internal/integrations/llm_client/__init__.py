"""What every LLM client integration (openai, anthropic) shares: the per-call
wrappers, stream proxies that end a span exactly once, and reversible patching.

An integration supplies data: its targets, how to read a request and a response,
and the client's stream types.
"""
