"""Local machine translation: CTranslate2 models in a directory on this machine (docs/translation.md).

``NEWSBRIDGE_TRANSLATOR=ctranslate2`` with ``NEWSBRIDGE_TRANSLATOR_MODEL_DIR`` naming a directory that
holds, for a language pair, either

* a sub-directory ``{source}-{target}`` (``ru-en/``, ``en-kk/``...): an OPUS-MT (Marian) model
  converted for CTranslate2 (``model.bin``, its vocabularies) with its SentencePiece models
  ``source.spm`` and ``target.spm``; or
* one sub-directory ``nllb/``: an NLLB-200 model converted for CTranslate2 with its
  ``sentencepiece.bpe.model``, used for every pair of languages it knows (:data:`NLLB_CODES`)
  that has no directory of its own. The source is tokenized as ``[kaz_Cyrl, pieces..., </s>]``
  and the target language is the decoder's first token (``target_prefix``).

A model is loaded the first time a pair needs it, once per process (under a lock: two requests
arriving together load it once), and kept. Texts are cut into sentences, tokenized with
SentencePiece, translated ``batch_size`` sentences per ``translate_batch`` call, and detokenized.
A pair with no model answers 422 ``translation_unavailable`` naming the pair; a model that cannot
be loaded or fails answers 502 ``translation_failed``.

Glossary placeholders (``⟦3⟧``, glossary.py) never reach the model: the SentencePiece models of
OPUS-MT and NLLB have no piece for ``⟦`` and ``⟧`` (they become ``<unk>``, which the models drop,
repeat or turn into other words). A text is therefore cut at its placeholders, the words between
them translated, and the placeholders put back between the translations in their order. The name
stays exactly where the source had it relative to the words around it, which is right for
names in a list or a dateline but can read awkwardly when the target language orders a sentence
differently (Persian, Kazakh: verb last). A piece without letters (", ") is kept as written.

``ctranslate2`` and ``sentencepiece`` are imported only when a model is loaded: the hub starts
and runs without them (``pip install 'newsbridge[translate-local]'`` adds them).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsbridge.errors import TranslationFailed, TranslationUnavailable

MULTILINGUAL = "nllb"  # the sub-directory of one NLLB-200 model serving every pair without its own
# ISO 639-1 (the hub's item languages) -> NLLB-200's FLORES-200 codes
NLLB_CODES = {"en": "eng_Latn", "ru": "rus_Cyrl", "kk": "kaz_Cyrl", "fa": "pes_Arab", "uk": "ukr_Cyrl",
              "be": "bel_Cyrl", "tr": "tur_Latn", "ar": "arb_Arab", "mn": "khk_Cyrl"}
_PAIR_FILES = ("model.bin", "source.spm", "target.spm")
_NLLB_FILES = ("model.bin", "sentencepiece.bpe.model")
_PLACEHOLDER = re.compile(r"(⟦\s*\d+\s*⟧)")  # glossary.protect's placeholders, kept out of the model
# after . ! ? ؟ … (and a closing quote after one): not after a quote mid-sentence (агентство «Казинформ» сообщает)
_SENTENCE_END = re.compile(r"(?:(?<=[.!?؟…])|(?<=[.!?؟…][\"»”]))\s+(?=\S)")
_LETTER = re.compile(r"[^\W\d_]")
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)


@dataclass(frozen=True)
class _Model:
    translator: Any  # ctranslate2.Translator (thread-safe: concurrent translate_batch calls are allowed)
    source_sp: Any  # sentencepiece.SentencePieceProcessor
    target_sp: Any
    nllb: bool
    eos: str | None  # appended to each source sentence when the model does not add it itself


def _end_token(path: Path) -> str | None:
    """The end-of-sentence token the source must end with: models converted by ``ct2-opus-mt-converter``
    add it themselves (``add_source_eos``), those from ``ct2-transformers-converter`` expect it, as
    the Transformers tokenizers add it."""
    try:
        config = json.loads((path / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        config = {}
    config = config if isinstance(config, dict) else {}
    return None if config.get("add_source_eos") else str(config.get("eos_token") or "</s>")


def _load(path: Path, nllb: bool, threads: int) -> _Model:
    try:
        import ctranslate2
        import sentencepiece
    except ImportError:
        raise TranslationFailed("the local translator needs the ctranslate2 and sentencepiece packages: "
                                "pip install 'newsbridge[translate-local]'", field="translator") from None
    names = _NLLB_FILES if nllb else _PAIR_FILES
    missing = [name for name in names if not (path / name).is_file()]
    if missing:
        raise TranslationFailed(f"the model directory {path} lacks {', '.join(missing)}", field="translator")
    try:
        translator = ctranslate2.Translator(str(path), device="cpu", inter_threads=1, intra_threads=threads)
        source = sentencepiece.SentencePieceProcessor(model_file=str(path / names[1]))
        target = source if nllb else sentencepiece.SentencePieceProcessor(model_file=str(path / names[2]))
    except (RuntimeError, OSError, ValueError) as exc:
        raise TranslationFailed(f"the model in {path} could not be loaded: {exc}"[:300], field="translator") from None
    return _Model(translator, source, target, nllb, _end_token(path))


def _sentences(segment: str) -> list[tuple[bool, str]]:
    """(translate?, text) pieces of a stretch between placeholders: its sentences, and the spaces
    around them kept as they are."""
    lead, core, trail = _EDGES.match(segment).groups()  # type: ignore[union-attr]
    if not _LETTER.search(core):
        return [(False, segment)] if segment else []
    pieces: list[tuple[bool, str]] = [(False, lead)] if lead else []
    for i, sentence in enumerate(_SENTENCE_END.split(core)):
        if i:
            pieces.append((False, " "))
        pieces.append((True, sentence))
    if trail:
        pieces.append((False, trail))
    return pieces


def pieces(text: str) -> list[tuple[bool, str]]:
    """``text`` as (translate?, text) pieces: sentences to translate, placeholders and spaces to keep."""
    found: list[tuple[bool, str]] = []
    for part in _PLACEHOLDER.split(text):
        if _PLACEHOLDER.fullmatch(part):
            found.append((False, part))
        else:
            found += _sentences(part)
    return found


def source_tokens(model: _Model, sentence: str, source: str) -> list[str]:
    """``sentence`` as the model reads it: NLLB's ``[kaz_Cyrl, pieces..., </s>]``, OPUS-MT's
    ``[pieces..., </s>]`` (the end token only when the model does not add it itself)."""
    tokens = model.source_sp.encode(sentence, out_type=str)
    start = [NLLB_CODES[source]] if model.nllb else []
    return [*start, *tokens, *([model.eos] if model.eos else [])]


class CTranslate2:
    """OPUS-MT or NLLB models converted for CTranslate2, in ``model_dir`` (see the module's note)."""

    name = "CTranslate2"

    def __init__(self, model_dir: str | Path, *, beam_size: int = 2, batch_size: int = 32, threads: int = 0,
                 max_decoding_length: int = 256) -> None:
        self.model_dir = Path(model_dir)
        self.beam_size = beam_size
        self.batch_size = batch_size
        self.threads = threads  # 0: CTranslate2 picks (the cores)
        self.max_decoding_length = max_decoding_length
        self.batches = 0  # translate_batch calls made: what the operator's logs and the tests count
        self.loads = 0  # models loaded
        self._models: dict[Path, _Model] = {}
        self._lock = threading.Lock()

    def directory(self, source: str | None, target: str) -> tuple[Path, bool]:
        """The model directory for ``source`` → ``target`` and whether it is the multilingual one."""
        if not source:
            raise TranslationUnavailable("the item has no language, and a local model translates from a known one",
                                         field="language")
        pair = self.model_dir / f"{source}-{target}"
        if pair.is_dir():
            return pair, False
        if source in NLLB_CODES and target in NLLB_CODES and (self.model_dir / MULTILINGUAL).is_dir():
            return self.model_dir / MULTILINGUAL, True
        raise TranslationUnavailable(f"this hub has no translation model for {source} → {target} "
                                     f"(no {source}-{target}/ or {MULTILINGUAL}/ in its model directory)",
                                     field="language")

    def model(self, source: str | None, target: str) -> _Model:
        path, nllb = self.directory(source, target)
        with self._lock:  # loaded once per process, however many requests wait for it
            found = self._models.get(path)
            if found is None:
                found = self._models[path] = _load(path, nllb, self.threads)
                self.loads += 1
        return found

    def translate(self, texts: list[str], source: str | None, target: str) -> list[str]:
        if source == target:
            return list(texts)
        model = self.model(source, target)
        plans = [pieces(text) for text in texts]
        sentences = [text for plan in plans for send, text in plan if send]
        translated = iter(self._sentences(model, sentences, source or "", target))
        return ["".join(next(translated) if send else text for send, text in plan) for plan in plans]

    def _sentences(self, model: _Model, sentences: list[str], source: str, target: str) -> list[str]:
        tokens = [source_tokens(model, s, source) for s in sentences]
        prefix = [NLLB_CODES[target]] if model.nllb else None
        found: list[str] = []
        for start in range(0, len(tokens), self.batch_size):
            batch = tokens[start:start + self.batch_size]
            try:
                results = model.translator.translate_batch(
                    batch, target_prefix=[prefix] * len(batch) if prefix else None, beam_size=self.beam_size,
                    max_batch_size=self.batch_size, max_input_length=512,
                    max_decoding_length=self.max_decoding_length)
            except (RuntimeError, ValueError) as exc:
                raise TranslationFailed(f"the local model did not translate: {exc}"[:300], field="translator") \
                    from None
            self.batches += 1
            for result in results:
                words = result.hypotheses[0]
                if prefix and words[:1] == prefix:
                    words = words[1:]
                found.append(model.target_sp.decode(words))
        return found


_shared: dict[str, CTranslate2] = {}
_shared_lock = threading.Lock()


def local_translator(model_dir: str) -> CTranslate2:
    """The process's one translator for ``model_dir``: its models stay loaded between requests."""
    with _shared_lock:
        found = _shared.get(model_dir)
        if found is None:
            found = _shared[model_dir] = CTranslate2(model_dir)
        return found
