"""Russian named entities with natasha: the people, places and organizations a Russian text names,
each in its dictionary form ("Масудом Пезешкианом" -> "Масуд Пезешкиан", "Тегеране" -> "Тегеран").

natasha ships its NER model and word embeddings inside the package (nothing is downloaded). The
model is loaded once per process on first use (~1.0-1.4 s of CPU, ~215 MB), in the story worker
(when ``stories.gazetteer.RUSSIAN_NER`` selects it), never in a request; tagging costs ~60-130 ms of
CPU per Russian item at this machine's load. The capitalized-word rule of
stories/transliteration.py guesses names from capitals; natasha recognizes them (a name that starts
a sentence, an organization in quotes) and gives their nominative, so the transliteration key of
an inflected name is the key of its plain form (``bench/stories.py`` measures what it adds).
"""

from __future__ import annotations

import threading
from typing import Any

KINDS = frozenset({"PER", "LOC", "ORG"})


class _Model:
    """natasha's segmenter, NER and morphology taggers and lemmatizer, loaded on first use."""

    _parts: tuple[Any, Any, Any, Any] | None = None
    _lock = threading.Lock()

    @classmethod
    def parts(cls) -> tuple[Any, Any, Any, Any]:
        with cls._lock:
            if cls._parts is None:
                import yargy  # noqa: F401  (first: it makes pymorphy2 work on Python 3.11)
                from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

                embedding = NewsEmbedding()
                cls._parts = (Segmenter(), NewsNERTagger(embedding), NewsMorphTagger(embedding), MorphVocab())
            return cls._parts


def loaded() -> bool:
    """Whether this process has loaded the model (the worker loads it on its first Russian item)."""
    return _Model._parts is not None


def russian_names(text: str) -> list[tuple[str, str]]:
    """The named entities of a Russian text as (kind, dictionary form), kind PER, LOC or ORG, in
    the order they appear. A span natasha cannot put in its dictionary form keeps its text."""
    from natasha import Doc

    segmenter, ner, morph, vocab = _Model.parts()
    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_ner(ner)
    if not doc.spans:
        return []
    doc.tag_morph(morph)
    found = []
    for span in doc.spans:
        if span.type not in KINDS:
            continue
        try:
            span.normalize(vocab)
        except (KeyError, IndexError, ValueError):  # a span across tokens the tagger left untagged
            pass
        found.append((span.type, span.normal or span.text))
    return found
