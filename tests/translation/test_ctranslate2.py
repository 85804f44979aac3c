"""The local CTranslate2 translator (newsbridge/translation/ctranslate2_backend.py) on a tiny model
these tests build themselves: a SentencePiece model trained on a few hundred words, and a one-layer
Transformer with **random weights** saved by a ``ctranslate2.converters.Converter`` subclass (no
torch, no download). Its output is nonsense: these tests check the plumbing (directories found,
models loaded once, texts tokenized, batched, detokenized, one answer per text in order, the same
answer twice with the same input, glossary placeholders kept, the cache, clear errors), never the
quality of a translation."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

ctranslate2 = pytest.importorskip("ctranslate2")  # in the test extra (make install-test)
spm = pytest.importorskip("sentencepiece")

from newsbridge.config import Settings, load_settings  # noqa: E402
from newsbridge.errors import InvalidInput, TranslationFailed, TranslationUnavailable  # noqa: E402
from newsbridge.translation.backends import translator_from_settings  # noqa: E402
from newsbridge.translation.ctranslate2_backend import (  # noqa: E402
    NLLB_CODES, CTranslate2, local_translator, pieces, source_tokens)
from tests.translation.test_translations_api import MANAGE, RU_STORY, TOKAYEV, publish, translate  # noqa: E402
from tests.conftest import active_agreement  # noqa: E402

WORDS = ("президент министр встреча агентство сообщает казахстан сотрудничество медиа новости город "
         "president minister meeting agency reports kazakhstan cooperation media news city "
         "тоқаев астана келіссөз ақпарат ریاست وزیر دیدار خبرگزاری همکاری رسانه").split()
D_MODEL, FFN = 16, 32


class RandomConverter(ctranslate2.converters.Converter):
    """A Transformer spec with random weights of the right shapes: what ``ct2-opus-mt-converter``
    writes for a real model, minus the training."""

    def __init__(self, vocabulary: list[str], seed: int, add_source_eos: bool = False) -> None:
        self.vocabulary = vocabulary
        self.add_source_eos = add_source_eos
        self.rng = np.random.default_rng(seed)

    def _random(self, *shape: int) -> np.ndarray:
        return (self.rng.standard_normal(shape) * 0.5).astype(np.float32)

    def _norm(self, spec) -> None:  # type: ignore[no-untyped-def]
        spec.gamma = np.ones(D_MODEL, np.float32)
        spec.beta = np.zeros(D_MODEL, np.float32)

    def _load(self):  # type: ignore[no-untyped-def]
        size = len(self.vocabulary)
        spec = ctranslate2.specs.TransformerSpec.from_config(num_layers=1, num_heads=2)
        # ct2-opus-mt-converter sets it; ct2-transformers-converter does not (the tokenizer adds </s>)
        spec.config.add_source_eos = self.add_source_eos
        encoder, decoder = spec.encoder, spec.decoder
        encoder.embeddings[0].weight = self._random(size, D_MODEL)
        decoder.embeddings.weight = self._random(size, D_MODEL)
        decoder.projection.weight = self._random(size, D_MODEL)
        for stack in (encoder, decoder):
            self._norm(stack.layer_norm)
            for layer in stack.layer:
                self._norm(layer.self_attention.layer_norm)
                layer.self_attention.linear[0].weight = self._random(3 * D_MODEL, D_MODEL)  # q, k, v fused
                layer.self_attention.linear[1].weight = self._random(D_MODEL, D_MODEL)
                self._norm(layer.ffn.layer_norm)
                layer.ffn.linear_0.weight = self._random(FFN, D_MODEL)
                layer.ffn.linear_1.weight = self._random(D_MODEL, FFN)
        for layer in decoder.layer:
            self._norm(layer.attention.layer_norm)
            layer.attention.linear[0].weight = self._random(D_MODEL, D_MODEL)  # query
            layer.attention.linear[1].weight = self._random(2 * D_MODEL, D_MODEL)  # key, value fused
            layer.attention.linear[2].weight = self._random(D_MODEL, D_MODEL)
        spec.register_source_vocabulary(self.vocabulary)
        spec.register_target_vocabulary(self.vocabulary)
        return spec


def _sentencepiece(path: Path, seed: int) -> spm.SentencePieceProcessor:
    shuffled = random.Random(seed)
    lines = [" ".join(shuffled.choice(WORDS) for _ in range(8)) for _ in range(300)]  # 2,400 words
    (path.parent / "corpus.txt").write_text("\n".join(lines), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(path.parent / "corpus.txt"), model_prefix=str(path.with_suffix("")),
                                   vocab_size=80, hard_vocab_limit=False, character_coverage=1.0, model_type="unigram",
                                   minloglevel=2)
    path.with_suffix(".model").rename(path)
    return spm.SentencePieceProcessor(model_file=str(path))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ru-en/`` and ``en-ru/`` (the OPUS-MT layout; en-ru adds the source's end token itself, as
    ``ct2-opus-mt-converter`` writes it) and ``nllb/`` (the NLLB layout, language tokens in its vocabulary)."""
    root = tmp_path_factory.mktemp("models")
    work = tmp_path_factory.mktemp("spm")
    sp = _sentencepiece(work / "pieces.spm", seed=1)
    vocabulary = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    RandomConverter(vocabulary, seed=2).convert(str(root / "ru-en"))
    RandomConverter(vocabulary, seed=4, add_source_eos=True).convert(str(root / "en-ru"))
    for pair in ("ru-en", "en-ru"):
        for name in ("source.spm", "target.spm"):
            (root / pair / name).write_bytes((work / "pieces.spm").read_bytes())
    RandomConverter(vocabulary + sorted(NLLB_CODES.values()), seed=3).convert(str(root / "nllb"))
    (root / "nllb" / "sentencepiece.bpe.model").write_bytes((work / "pieces.spm").read_bytes())
    return root


def pair_only(models: Path, tmp_path: Path) -> Path:
    (tmp_path / "ru-en").symlink_to(models / "ru-en")
    return tmp_path


def test_a_pair_directory_loads_once_and_translates_in_batches_one_answer_per_text(models: Path,
                                                                                  tmp_path: Path) -> None:
    translator = CTranslate2(pair_only(models, tmp_path), beam_size=1, batch_size=4, max_decoding_length=12)
    texts = [f"президент встреча агентство {n}" for n in range(10)]
    first = translator.translate(texts, "ru", "en")
    assert len(first) == 10 and all(isinstance(t, str) for t in first)
    assert (translator.loads, translator.batches) == (1, 3)  # 10 sentences, 4 a batch; the model loaded once
    assert translator.translate(texts, "ru", "en") == first  # greedy search on fixed weights: deterministic
    assert (translator.loads, translator.batches) == (1, 6)
    assert all("▁" not in t for t in first)  # detokenized: no SentencePiece word marks left


def test_glossary_placeholders_stay_out_of_the_model_and_come_back_in_order(models: Path, tmp_path: Path) -> None:
    # the tiny model's pieces have no ⟦ or ⟧, like OPUS-MT's and NLLB's: sent, they would be <unk>
    sp = spm.SentencePieceProcessor(model_file=str(models / "ru-en" / "source.spm"))
    assert sp.unk_id() in sp.encode("⟦0⟧")
    translator = CTranslate2(pair_only(models, tmp_path), beam_size=1, max_decoding_length=8)
    text = "⟦0⟧ встреча министр. Агентство ⟦1⟧ сообщает, ⟦2⟧"
    assert pieces(text) == [(False, "⟦0⟧"), (False, " "), (True, "встреча министр."), (False, " "),
                            (True, "Агентство"), (False, " "), (False, "⟦1⟧"), (False, " "), (True, "сообщает,"),
                            (False, " "), (False, "⟦2⟧")]
    assert [t for send, t in pieces("Агентство «Казинформ» сообщает: «Встреча прошла.» Министр уехал.") if send] \
        == ["Агентство «Казинформ» сообщает: «Встреча прошла.»", "Министр уехал."]
    [out] = translator.translate([text], "ru", "en")
    assert [p for p in out.split() if p.startswith("⟦")] == ["⟦0⟧", "⟦1⟧", "⟦2⟧"]
    assert translator.batches == 1  # the three stretches of words went in one batch
    assert translator.translate(["⟦0⟧, ⟦1⟧"], "ru", "en") == ["⟦0⟧, ⟦1⟧"]  # nothing to translate: no model call
    assert translator.batches == 1


def test_a_pair_without_a_directory_uses_nllb_or_is_refused_naming_the_pair(models: Path, tmp_path: Path) -> None:
    only = CTranslate2(pair_only(models, tmp_path), beam_size=1, max_decoding_length=8)
    with pytest.raises(TranslationUnavailable, match="kk → en") as refused:
        only.translate(["Астана"], "kk", "en")
    assert (refused.value.status, refused.value.code) == (422, "translation_unavailable")
    with pytest.raises(TranslationUnavailable, match="no language"):
        only.translate(["Астана"], None, "en")
    both = CTranslate2(models, beam_size=1, max_decoding_length=8)
    assert both.directory("ru", "en") == (models / "ru-en", False)  # the pair's own model comes first
    assert both.directory("kk", "fa") == (models / "nllb", True)
    [out] = both.translate(["тоқаев астана келіссөз"], "kk", "fa")
    assert isinstance(out, str) and "pes_Arab" not in out  # the target language token is not text
    with pytest.raises(TranslationUnavailable, match="xx → en"):
        both.translate(["?"], "xx", "en")  # a language NLLB is not given a code for here


def test_source_sentences_end_and_start_as_each_converter_expects(models: Path) -> None:
    translator = CTranslate2(models)
    sp = spm.SentencePieceProcessor(model_file=str(models / "ru-en" / "source.spm"))
    pieces_of = sp.encode("медиа новости", out_type=str)
    assert source_tokens(translator.model("ru", "en"), "медиа новости", "ru") == [*pieces_of, "</s>"]
    assert source_tokens(translator.model("en", "ru"), "медиа новости", "en") == pieces_of  # the model adds </s>
    assert source_tokens(translator.model("kk", "fa"), "медиа новости", "kk") == ["kaz_Cyrl", *pieces_of, "</s>"]


def test_a_broken_model_directory_is_a_translation_failure_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "ru-en").mkdir()
    (tmp_path / "ru-en" / "model.bin").write_bytes(b"not a model")
    with pytest.raises(TranslationFailed, match="lacks source.spm, target.spm"):
        CTranslate2(tmp_path).translate(["встреча"], "ru", "en")
    for name in ("source.spm", "target.spm"):
        (tmp_path / "ru-en" / name).write_bytes(b"")
    with pytest.raises(TranslationFailed, match="could not be loaded"):
        CTranslate2(tmp_path).translate(["встреча"], "ru", "en")


def test_models_load_once_per_process_however_many_threads_ask(models: Path) -> None:
    translator = local_translator(str(models))
    assert local_translator(str(models)) is translator
    before = translator.loads
    answers: list[list[str]] = []
    threads = [threading.Thread(target=lambda: answers.append(translator.translate(["медиа новости"], "ru", "en")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4 and all(a == answers[0] for a in answers)
    assert translator.loads - before <= 1  # ru-en loaded at most once here (once in the module, whichever test)


def test_settings_check_the_model_directory_at_start(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is not a directory") as missing:
        load_settings(env={"NEWSBRIDGE_TRANSLATOR": "ctranslate2",
                           "NEWSBRIDGE_TRANSLATOR_MODEL_DIR": str(tmp_path / "nowhere")})
    assert missing.value.field == "NEWSBRIDGE_TRANSLATOR_MODEL_DIR"
    with pytest.raises(InvalidInput, match="needs NEWSBRIDGE_TRANSLATOR_MODEL_DIR"):
        load_settings(env={"NEWSBRIDGE_TRANSLATOR": "ctranslate2"})
    chosen = load_settings(env={"NEWSBRIDGE_TRANSLATOR": "ctranslate2",
                                "NEWSBRIDGE_TRANSLATOR_MODEL_DIR": str(tmp_path)})
    assert isinstance(translator_from_settings(chosen), CTranslate2)
    assert translator_from_settings(load_settings(env={})) is None  # the default: no translator, no model package


def test_the_packages_are_needed_only_when_the_local_translator_is_chosen(tmp_path: Path) -> None:
    """A hub without ctranslate2 and sentencepiece (they are an extra) starts and serves; choosing
    the local translator there stops it with the install command."""
    script = (
        "import sys; sys.modules['ctranslate2'] = sys.modules['sentencepiece'] = None\n"
        "import importlib.util, newsbridge.config as c\n"
        "c.importlib.util.find_spec = lambda name, real=importlib.util.find_spec: "
        "None if name in ('ctranslate2', 'sentencepiece') else real(name)\n"
        "from newsbridge.app import create_app\n"
        "from newsbridge.translation.backends import translator_from_settings\n"
        f"settings = c.load_settings(env={{}}, database_url='sqlite:///{tmp_path / 'hub.db'}')\n"
        "create_app(settings); print('started', translator_from_settings(settings))\n"
        "c.load_settings(env={'NEWSBRIDGE_TRANSLATOR': 'ctranslate2', "
        f"'NEWSBRIDGE_TRANSLATOR_MODEL_DIR': '{tmp_path}'}})\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "started None", run.stderr
    assert "needs ctranslate2 and sentencepiece: pip install 'newsbridge[translate-local]'" in run.stderr


# Through the API, on both databases: the hub configured with the tiny models.

@pytest.fixture
def settings(settings: Settings, models: Path) -> Settings:
    return settings.replace(translator="ctranslate2", translator_model_dir=str(models))


@pytest.fixture
async def world(client, make_partner):  # type: ignore[no-untyped-def]
    alpha, beta = (make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta"))
    await active_agreement(client, alpha, beta, {})
    return alpha, beta


@pytest.mark.anyio
async def test_the_api_translates_with_the_local_model_once_per_version(client, world, models: Path) -> None:
    alpha, beta = world
    assert (await client.post("/api/v1/glossary", json=TOKAYEV, headers=beta.headers)).status_code == 201
    item_id = await publish(client, alpha, RU_STORY)
    translator = local_translator(str(models))
    before = translator.batches
    made = await translate(client, beta, item_id)
    assert (made["backend"], made["machine_translation"], made["cached"]) == ("CTranslate2", True, False)
    assert made["text"].startswith("Kassym-Jomart Tokayev")  # the glossary's name, put back where it was
    assert made["text"].count("\n\n") == 1  # two paragraphs in, two out (their words are nonsense)
    assert translator.batches == before + 1  # the headline and both paragraphs' sentences: one batch
    again = await translate(client, beta, item_id)
    assert again == {**made, "cached": True} and translator.batches == before + 1  # read back, no model call


@pytest.mark.anyio
async def test_the_api_names_a_pair_without_a_model(client, world) -> None:
    alpha, beta = world
    item_id = await publish(client, alpha, {**RU_STORY, "uri": "urn:alpha:ru:2"})
    refused = await translate(client, beta, item_id, status=422, language="de")
    assert refused["error"]["code"] == "translation_unavailable" and "ru → de" in refused["error"]["message"]
    assert (await translate(client, beta, item_id, language="kk"))["backend"] == "CTranslate2"  # nllb/ serves it
