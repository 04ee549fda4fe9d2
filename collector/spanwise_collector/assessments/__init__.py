"""Assessments: feedback and expectations about traces (``trace_assessments``)."""

from .model import (
    KINDS,
    SOURCE_TYPES,
    AssessmentInput,
    AssessmentUpdate,
    parse_batch,
    parse_input,
    parse_update,
)
from .store import (
    attach_assessments,
    delete_assessment,
    list_assessments,
    log_assessment,
    log_assessments,
    trace_assessments,
    update_assessment,
)

__all__ = [
    "KINDS",
    "SOURCE_TYPES",
    "AssessmentInput",
    "AssessmentUpdate",
    "attach_assessments",
    "delete_assessment",
    "list_assessments",
    "log_assessment",
    "log_assessments",
    "parse_batch",
    "parse_input",
    "parse_update",
    "trace_assessments",
    "update_assessment",
]
