"""Integrations with LLM libraries; each enabled by its own ``autolog``."""
