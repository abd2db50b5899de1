"""The sentences of the cost engine (derive.engines.cost), merged into
derive.core.sentences.SENTENCES."""
from __future__ import annotations

COST_SENTENCES: dict = {}
