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
    assert model.params() == {**cfg.classifier_params(), "threshold_grid": list(cfg.threshold_grid)}
    enc = SentenceEncoder()
    assert (enc.model, enc.batch_size) == (cfg.embedding_model, cfg.batch_size)


def test_project_config_file_states_every_value(tmp_path):
    """training/config.yaml and the defaults agree, so the file documents what runs."""
    assert load_config() == TrainingConfig()


def test_seed_override_changes_only_the_seed_and_the_hash():
    cfg = load_config()
    other = cfg.with_seed(cfg.seed + 1)
    assert dataclasses.replace(other, seed=cfg.seed) == cfg and other.sha256 != cfg.sha256


@pytest.mark.parametrize("text, problem", [("classifier: [1, 2", "not valid YAML"),
                                           ("classifier:\n  C: lots\n", "bad value")])
def test_bad_config_file(tmp_path, text, problem):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=problem):
        load_config(path)


def test_missing_config_file_named_by_the_user(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
