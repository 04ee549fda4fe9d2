"""Workloads run inside each system's own interpreter (peer venvs or ours).

Only the standard library is imported at module level: each system's setup imports
its own SDK. Parameters come from BENCH_* environment variables; the result is one
JSON line on stdout.
"""
