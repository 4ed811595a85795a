"""One representation of a coding, and its conversions (io/codes.py), on small hand-made data."""


from classifier.io.codebook import load_codebook
from classifier.io.codes import Coding, codes_from_row, label_matrix

CB = load_codebook()


def _codes(**groups):
    return {g: list(groups.get(g, [])) for g in CB.group_keys}


def test_matrix_round_trip_keeps_codebook_order():
    units = [_codes(policy_type=["regulatory"], sector=["governance_of_ai"], governance_subcategory=["law"]),
             _codes(policy_type=["application", "regulatory"], sector=["mobility"], themes=["data_privacy"])]
    M = label_matrix(units, CB)
    assert M.shape == (2, len(CB.all_labels)) and M.sum() == 3 + 4
    assert [codes_from_row(row, CB) for row in M] == units
    col = CB.all_labels.index(("themes", "data_privacy"))
    assert M[:, col].tolist() == [0, 1]


def test_empty_list_of_units_gives_an_empty_matrix_of_the_right_width():
    assert label_matrix([], CB).shape == (0, len(CB.all_labels))


def test_coding_matrix_counts_and_from_matrix():
    c = Coding("x", {"a": _codes(policy_type=["application"], sector=["social_services"]),
                     "b": _codes(policy_type=["application"], sector=["mobility", "social_services"])})
    M = c.matrix(["b", "missing", "a"], CB)
    assert M[1].sum() == 0, "a unit the coder did not code is all zeros"
    counts = c.label_counts(CB)
    assert counts["application"] == 2 and counts["social_services"] == 2 and counts["mobility"] == 1 and counts["law"] == 0
    assert set(counts) == {lab for _, lab in CB.all_labels}
    back = Coding.from_matrix("y", ["b", "a"], M[[0, 2]], CB)
    assert back.codes == {"b": c.codes["b"], "a": c.codes["a"]}
