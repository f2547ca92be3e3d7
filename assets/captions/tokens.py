"""Counting CLIP tokens with the real CLIP BPE tokenizer, offline.

No hub: the tokenizer files (``vocab.json`` + ``merges.txt``) are built from the BPE merge list that the
``open_clip_torch`` wheel ships (``open_clip/bpe_simple_vocab_16e6.txt.gz``, the file OpenAI's CLIP uses), exactly as
CLIP's ``SimpleTokenizer`` derives its 49,408-entry vocabulary, and loaded into the ``tokenizers`` pipeline that
transformers' ``CLIPTokenizer`` builds (the same normaliser, pre-tokeniser, BPE model, special tokens and
post-processor; tests/unit/test_captions.py compares the two), without importing transformers (about 3 CPU-s a process).
A CLIP tokenizer folder under CASTFORGE_MODELS (``clip-tokenizer/`` with vocab.json and merges.txt) wins when present.
"""

import functools
import gzip
import importlib.util
import json
from pathlib import Path

from resources.errors import MissingWeightsError
from resources.paths import castforge_home, find_model

CLIP_MAX_TOKENS = 77  # including the start and end tokens


def _bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def _open_clip_bpe() -> Path | None:
    spec = importlib.util.find_spec("open_clip")  # located, not imported (open_clip's import pulls timm and torch)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "bpe_simple_vocab_16e6.txt.gz"
    return path if path.exists() else None


def tokenizer_dir() -> Path:
    """A folder with CLIP's vocab.json and merges.txt (built once under $CASTFORGE_HOME/models/clip-tokenizer)."""
    local = find_model("clip-tokenizer")
    if local is not None and (local / "vocab.json").exists() and (local / "merges.txt").exists():
        return local
    bpe = _open_clip_bpe()
    if bpe is None:
        raise MissingWeightsError("clip tokenizer", "CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz)",
                                  "`pip install open_clip_torch` (in install/requirements.txt) or put a CLIP tokenizer "
                                  "folder (vocab.json, merges.txt) at $CASTFORGE_MODELS/clip-tokenizer")
    out = castforge_home() / "models" / "clip-tokenizer"
    if not (out / "vocab.json").exists():
        merges = gzip.open(bpe).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
        pairs = [tuple(m.split()) for m in merges]
        vocab = list(_bytes_to_unicode().values())
        vocab = vocab + [v + "</w>" for v in vocab] + ["".join(p) for p in pairs]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        out.mkdir(parents=True, exist_ok=True)
        (out / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(p) for p in pairs) + "\n")
        tmp = out / "vocab.json.tmp"
        tmp.write_text(json.dumps({token: i for i, token in enumerate(vocab)}))
        tmp.replace(out / "vocab.json")
    return out


@functools.lru_cache(maxsize=2)
def _tokenizer(folder: str):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import BPE

    vocab = json.loads((Path(folder) / "vocab.json").read_text(encoding="utf-8"))
    lines = (Path(folder) / "merges.txt").read_text(encoding="utf-8").splitlines()
    merges = [tuple(line.split()) for line in lines if line and not line.startswith("#version")]
    start, end = "<|startoftext|>", "<|endoftext|>"
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=merges, dropout=None, continuing_subword_prefix="",
                              end_of_word_suffix="</w>", fuse_unk=False, unk_token=end))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                                 normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|"""
                                   r"""[^\s\p{L}\p{N}]+"""), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in (start, end)])
    tokenizer.post_processor = processors.RobertaProcessing((end, vocab[end]), (start, vocab[start]), False, False)
    return tokenizer


def clip_tokenizer():
    """CLIP's tokenizer (a ``tokenizers.Tokenizer``; ``encode(text).ids`` starts and ends with CLIP's special ids)."""
    return _tokenizer(str(tokenizer_dir()))


def clip_token_count(text: str) -> int:
    """Tokens CLIP's text encoder sees for ``text``, start and end tokens included."""
    return len(clip_tokenizer().encode(text).ids)


def fit_phrases(phrases: list[str], fixed: int, max_tokens: int = CLIP_MAX_TOKENS) -> tuple[list[str], int]:
    """The longest leading run of ``phrases`` (the first ``fixed`` always kept) whose ", "-joined text fits; and
    its token count."""
    kept = list(phrases)
    while True:
        count = clip_token_count(", ".join(kept))
        if count <= max_tokens or len(kept) <= fixed:
            return kept, count
        kept.pop()
