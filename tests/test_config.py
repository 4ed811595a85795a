"""The training configuration: one place for every default, and clear errors for bad files."""

import dataclasses

import pytest

from classifier.config import TrainingConfig, load_config
from classifier.errors import InputError
from classifier.io.codebook import load_codebook
from classifier.model.classifier import AtlasClassifier
from classifier.model.embed import SentenceEncoder


def test_defaults_are_written_once():
    cfg = TrainingConfig()
    model = AtlasClassifier(codebook=load_codebook())
    assert {k: v for k, v in model.get_params().items() if k not in ("codebook", "random_state", "feature_sets", "label_blocks")} == dict(cfg.classifier)
    enc = SentenceEncoder()
    assert (enc.model, enc.batch_size) == (cfg.embedding.model, cfg.embedding.batch_size)


def test_config_sections_are_constructor_parameters():
    from sklearn.base import clone

    cfg = load_config()
    model = AtlasClassifier(codebook=load_codebook(), **cfg.classifier_params())
    assert clone(model).get_params()["random_state"] == cfg.seed
    assert set(cfg.to_dict()) == {"embedding", "features", "classifier", "seed"}


def test_project_config_file_states_every_value(tmp_path):
    """training/config.yaml and the defaults agree, so the file documents what runs."""
    assert load_config() == TrainingConfig()


def test_seed_override_changes_only_the_seed_and_the_hash():
    cfg = load_config()
    other = cfg.with_seed(cfg.seed + 1)
    assert dataclasses.replace(other, seed=cfg.seed).to_dict() == cfg.to_dict() and other.sha256 != cfg.sha256


@pytest.mark.parametrize("text, problem", [("classifier: [1, 2", "not valid YAML"),
                                           ("classifier:\n  C: lots\n", "field 'classifier.C': bad value"),
                                           ("classifier:\n  Cee: 1\n", "field 'classifier.Cee': unknown setting"),
                                           ("embeddings:\n  model: x\n", "field 'embeddings': unknown section")])
def test_bad_config_file(tmp_path, text, problem):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=problem):
        load_config(path)


def test_missing_config_file_named_by_the_user(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
