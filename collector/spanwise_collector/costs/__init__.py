"""Costs at ingest (pricing processor, count-once rule) and after it (reprice)."""

from .carriers import COUNTED_IN_CHILD, COUNTED_IN_PARENT, DEFERRED
from .ingest import PricingProcessor

__all__ = ["COUNTED_IN_CHILD", "COUNTED_IN_PARENT", "DEFERRED", "PricingProcessor"]
