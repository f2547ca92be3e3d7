"""Production model architectures with random weights, saved where the adapters load them: the tests' weights (no
checkpoint is reachable offline) and bench/gpu_stages.py's. Light imports only: the bench runs on GPU machines that
hold torch and the model's own package, nothing else of castforge's environment."""

from pathlib import Path

import numpy as np


def build_random_pyannote_parts(folder: Path, duration: float = 5.0) -> dict[str, str]:
    """pyannote.audio's PyanNet segmentation and WeSpeaker ResNet34 embedding checkpoints with random weights, and a
    PLDA folder, in ``folder`` (also used by bench/gpu_stages.py)."""
    from resources.backends import torch_cpu_fixes

    torch_cpu_fixes.apply()
    import lightning
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import WeSpeakerResNet34
    from pyannote.audio.models.segmentation import PyanNet

    torch.manual_seed(0)

    def save(model, specifications, name: str) -> str:
        model.specifications = specifications
        model.build()
        checkpoint = {"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams),
                      "pytorch-lightning_version": lightning.__version__}
        model.on_save_checkpoint(checkpoint)
        torch.save(checkpoint, folder / name)
        return str(folder / name)

    segmentation = save(PyanNet(), Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION, resolution=Resolution.FRAME, duration=duration,
        classes=["speaker#1", "speaker#2", "speaker#3"], powerset_max_classes=2, permutation_invariant=True),
        "segmentation.ckpt")
    embedding = save(WeSpeakerResNet34(), Specifications(
        problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=duration), "embedding.ckpt")
    rng = np.random.default_rng(0)
    dim, lda = 256, 128
    plda = folder / "plda"
    plda.mkdir()
    np.savez(plda / "xvec_transform.npz", mean1=rng.standard_normal(dim) * 0.01, mean2=rng.standard_normal(lda) * 0.01,
             lda=rng.standard_normal((dim, lda)) / np.sqrt(dim))
    np.savez(plda / "plda.npz", mu=np.zeros(lda), tr=np.eye(lda) + 0.01 * rng.standard_normal((lda, lda)),
             psi=np.linspace(2.0, 0.1, lda))
    return {"segmentation": segmentation, "embedding": embedding, "plda": str(plda)}


QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for c in message['content'] %}"
    "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
                 "<|video_pad|>"]


def qwen_chat_tokenizer():
    """A small byte-level BPE tokenizer trained here with Qwen-VL's special tokens (the chat template
    ``QWEN_CHAT_TEMPLATE`` and the vision tokens of the real one): (tokenizer, {special token: id})."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = ["a 3d animated character with smooth shading, soft lighting, close-up, three-quarter view"] * 20
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=QWEN_SPECIALS,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        unk_token=None)
    return tokenizer, {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
