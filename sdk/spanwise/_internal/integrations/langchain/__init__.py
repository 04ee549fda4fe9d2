"""LangChain / LangGraph integration: a callback handler that turns runs into spans.

Only ``spanwise.langchain`` imports this package, so ``import spanwise`` never
imports langchain-core.
"""
