import re
from pathlib import Path

import pytest

from classifier.io.codebook import load_codebook
from classifier.errors import InputError
from classifier.paths import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared" / "codebook.md"


def test_codebook_has_four_groups_with_constraints():
    cb = load_codebook()
    assert cb.group_keys == ["policy_type", "sector", "governance_subcategory", "themes"]
    assert cb.group("policy_type").min_labels == 1 and cb.group("sector").min_labels == 1
    assert cb.group("governance_subcategory").requires == ("sector", "governance_of_ai")
    assert len(cb.all_labels) == 23
    assert all(lab.definition for g in cb.groups for lab in g.labels)
    assert [r["id"] for r in cb.decision_rules] == [f"R{i}" for i in range(1, 17)]
    assert len(cb.sha256) == 64


@pytest.mark.skipif(not SHARED.exists(), reason="shared design codebook not present")
def test_codebook_follows_the_design_reference():
    """Every label key in the tables of ../shared/codebook.md is in the same group here."""
    cb = load_codebook()
    text = SHARED.read_text(encoding="utf-8")
    sections = re.split(r"^## Group \d", text, flags=re.M)[1:]
    for group, section in zip(cb.group_keys, sections):
        keys = re.findall(r"^\| (\w+) \|", section, flags=re.M)
        keys = [k for k in keys if k != "label"]
        assert keys == cb.labels(group), group


def test_violations_report_each_constraint():
    cb = load_codebook()
    ok = {"policy_type": ["regulatory"], "sector": ["governance_of_ai"], "governance_subcategory": ["law"], "themes": []}
    assert cb.violations(ok) == []
    assert cb.violations({**ok, "policy_type": []})[0][0] == "policy_type"
    assert cb.violations({**ok, "sector": ["mobility"]}) == [("governance_subcategory", "only allowed when sector includes 'governance_of_ai'")]
    assert "unknown label 'ethics'" in cb.violations({**ok, "themes": ["ethics"]})[0][1]


def test_broken_codebook_is_an_input_error(tmp_path: Path):
    bad = tmp_path / "codebook.yaml"
    bad.write_text("groups: [1, 2]\n")
    with pytest.raises(InputError, match="group #1"):
        load_codebook(bad)
