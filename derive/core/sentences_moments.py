"""The sentences of the moments engine (derive.engines.moments), merged into
derive.core.sentences.SENTENCES."""
from __future__ import annotations

MOMENT_SENTENCES: dict = {}
