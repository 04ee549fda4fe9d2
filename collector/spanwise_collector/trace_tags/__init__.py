"""Trace tags set or removed after the fact (see ``store/trace_tags_ddl.py``)."""
