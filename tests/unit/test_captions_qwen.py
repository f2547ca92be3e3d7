"""The qwen_vl captioner on the real Qwen2-VL architecture and processor, with a tiny random model the test builds
(config + a locally trained byte-level BPE tokenizer + image and video processors), through qwen_vl_utils and
generate. Random weights say nothing about caption quality; they prove the adapter's whole code path."""

import glob
from pathlib import Path

import cv2
import numpy as np
import pytest

from resources.errors import MissingWeightsError
from tests.random_models import QWEN_CHAT_TEMPLATE, qwen_chat_tokenizer

def build_tiny_qwen2_vl(folder: Path) -> Path:
    from resources.backends import torch_cpu_fixes

    torch_cpu_fixes.apply()
    import torch
    from transformers import (Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLImageProcessor,
                              Qwen2VLProcessor, Qwen2VLVideoProcessor)

    tokenizer, ids = qwen_chat_tokenizer()
    image_processor = Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=112 * 112)
    video_processor = Qwen2VLVideoProcessor(min_pixels=56 * 56, max_pixels=112 * 112)
    processor = Qwen2VLProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                 video_processor=video_processor, chat_template=QWEN_CHAT_TEMPLATE)
    config = Qwen2VLConfig(
        text_config=dict(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]},
                         bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                         pad_token_id=ids["<|endoftext|>"]),
        vision_config=dict(depth=1, embed_dim=32, hidden_size=64, num_heads=2, mlp_ratio=2),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"])
    torch.manual_seed(0)
    model = Qwen2VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory) -> Path:
    return build_tiny_qwen2_vl(tmp_path_factory.mktemp("qwen") / "qwen-vl")


@pytest.fixture
def photos(shared) -> list[np.ndarray]:
    paths = sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))[:3]
    return [cv2.resize(cv2.imread(p), (96, 128))[:, :, ::-1].copy() for p in paths]


def test_qwen_vl_captioner_generates_through_qwen_vl_utils(tiny_qwen, photos):
    from resources.backends.qwen_vl import QwenVLCaptioner

    captioner = QwenVLCaptioner(str(tiny_qwen), max_new_tokens=8, batch_size=2)
    facts = [{"name": "biden", "view": "front"}, {"name": "kit", "view": "three_quarter"}, {"name": "x", "view": None}]
    captions = captioner.caption(photos, facts)
    assert len(captions) == 3 and all(isinstance(c, str) for c in captions)
    assert captioner.model == str(tiny_qwen) and captioner.prompt_version == "qwen3d-1"


def test_qwen_vl_captioner_resource_finds_folder_under_models(tiny_qwen, photos, monkeypatch):
    from resources.captioner import CaptionerResource

    monkeypatch.setenv("CASTFORGE_MODELS", str(tiny_qwen.parent))
    resource = CaptionerResource(backend="qwen_vl", max_new_tokens=4, batch_size=3)
    assert len(resource.get().caption(photos, [{"name": "a"}] * 3)) == 3


def test_qwen_vl_missing_weights_names_the_folder(tmp_path, monkeypatch):
    from resources.backends.qwen_vl import resolve_model

    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    monkeypatch.setenv("CASTFORGE_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MissingWeightsError, match="qwen-vl"):
        resolve_model(None)
