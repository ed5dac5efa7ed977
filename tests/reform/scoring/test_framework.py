"""The criteria tree: shipped sets are valid, sums that do not add up name their node."""

import copy
import json

import pytest

from reform.catalog import SHIPPED_DIR, framework_load, shipped_codes
from reform.scoring.framework import from_dict, to_dict, tree_rows
from reform.scoring.problems import FrameworkInvalid


def _raw(code: str) -> dict:
    return json.loads((SHIPPED_DIR / f"{code}.json").read_text(encoding="utf-8"))


def test_every_shipped_framework_is_valid():
    assert shipped_codes() == [
        "ddci-2025",
        "par-province-2017",
        "par-province-2022",
        "pci-2013-2021",
        "pci-2022",
    ]
    for code in shipped_codes():
        assert framework_load(source=code).code == code


def test_the_2017_provincial_set_has_8_domains_of_100_points_with_impact_15_5():
    framework = framework_load(source="par-province-2017")

    maxima = [d.maximum for d in framework.domains]

    assert maxima == [10, 10, 14.5, 11, 16, 7, 16, 15.5]
    assert framework.survey_max == 15.5


def test_the_current_set_has_7_areas_impact_bonus_and_penalty():
    framework = framework_load(source="par-province-2022")

    kinds = [d.kind for d in framework.domains]

    assert kinds == ["domain"] * 8 + ["bonus", "penalty"]
    assert sum(d.maximum for d in framework.domains if not d.is_extra) == 100


def test_pci_2013_2021_weights_are_the_published_ones():
    framework = framework_load(source="pci-2013-2021")

    weights = [d.weight for d in framework.domains]

    assert weights == [5, 5, 20, 5, 10, 5, 5, 20, 20, 5]
    assert framework.example is False
    assert framework_load(source="pci-2022").example is True


def test_ddci_has_9_equally_weighted_sub_indices():
    framework = framework_load(source="ddci-2025")

    weights = {round(d.weight, 6) for d in framework.domains}

    assert len(framework.domains) == 9
    assert weights == {11.111111}


def test_children_that_do_not_add_up_name_the_node():
    # given the 2017 set with sub-criterion 1.1.2 lowered from 2 to 1.5 points
    raw = _raw("par-province-2017")
    raw["nodes"][0]["children"][0]["children"][1]["max"] = 1.5

    # when it is parsed
    with pytest.raises(FrameworkInvalid) as caught:
        from_dict(raw)

    # then the criterion 1.1 (whose children no longer add up) is named
    assert [str(p) for p in caught.value.problems] == [
        "1.1 (Kế hoạch cải cách hành chính năm): children add up to 2.5, not 3"
    ]


def test_domains_that_do_not_add_up_to_the_total_are_reported():
    raw = _raw("par-province-2017")
    raw["nodes"][7]["max"] = 16.5
    raw["nodes"][7]["children"][0]["max"] = 4.1

    with pytest.raises(FrameworkInvalid) as caught:
        from_dict(raw)

    assert [str(p) for p in caught.value.problems] == [
        "domains add up to 101, not the framework's total 100"
    ]


def test_weights_that_do_not_add_up_and_a_survey_leaf_without_rule_are_both_reported():
    raw = _raw("pci-2013-2021")
    raw["nodes"][0]["weight"] = 6
    del raw["nodes"][1]["rule"]

    with pytest.raises(FrameworkInvalid) as caught:
        from_dict(raw)

    assert [p.key for p in caught.value.problems] == ["missing_rule", "weights_sum"]
    assert str(caught.value.problems[0]) == (
        "S2 (Tiếp cận đất đai): a survey-based leaf needs a conversion rule"
    )


def test_json_export_reads_back_to_the_same_framework():
    for code in shipped_codes():
        framework = framework_load(source=code)

        again = from_dict(json.loads(json.dumps(to_dict(framework))))

        assert again == framework


def test_tree_rows_give_code_parent_name_kind_and_maximum():
    framework = framework_load(source="par-province-2017")

    rows = list(tree_rows(framework))

    assert rows[:3] == [
        ("1", "", "Công tác chỉ đạo, điều hành cải cách hành chính", "domain", "10"),
        ("1.1", "1", "Kế hoạch cải cách hành chính năm", "criterion", "3"),
        ("1.1.1", "1.1", "Ban hành kế hoạch kịp thời", "subcriterion:assessed", "1"),
    ]
    assert rows[-1][3] == "criterion:survey"


def test_a_framework_is_not_changed_by_editing_the_dict_it_came_from():
    raw = _raw("pci-2013-2021")
    framework = from_dict(copy.deepcopy(raw))
    raw["nodes"][0]["weight"] = 50
    assert framework.node("S1").weight == 5
