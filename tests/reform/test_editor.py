"""The framework editor: add, update, move, remove nodes; problems naming the node;
frozen once a round uses the framework; audited; the pages and the API."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from org.models import AuditEntry, Role
from reform.editor import (
    FrameworkLocked,
    criterion_add,
    criterion_move,
    criterion_remove,
    criterion_update,
    framework_problems,
)
from reform.models import Criterion
from reform.selectors import framework_dict
from reform.services import framework_import, round_open
from tests.factories import member
from tests.reform.conftest import SMALL


@pytest.fixture
def draft(db):
    return framework_import(data=SMALL, actor="test")


def _node(framework, code):
    return framework.criteria.get(code=code)


def _tree(framework):
    """(code, parent, kind, max, leaf) in preorder."""
    return [
        (c.code, c.parent.code if c.parent_id else None, c.kind, c.maximum, c.leaf)
        for c in framework.criteria.select_related("parent").order_by("position")
    ]


def test_adding_a_child_reports_the_sum_naming_the_node_until_it_is_balanced(draft):
    # given the balanced commune framework (1 = 40 + 20)
    assert framework_problems(framework=draft) == []

    # when 1.3 (5 points) is added under 1
    criterion_add(
        framework=draft, parent=_node(draft, "1"), code="1.3", name="Thông tin", maximum=5,
        actor="test",
    )  # fmt: skip

    # then the tree says 1 adds up to 65, not 60, and so do the domains
    problems = framework_problems(framework=draft)
    assert [(p.code, p.message) for p in problems] == [
        ("1", "1 (Chỉ đạo, điều hành): tổng các tiêu chí con là 65, không phải 60"),
    ]
    assert _tree(draft)[:4] == [
        ("1", None, "domain", 60, ""),
        ("1.1", "1", "criterion", 40, "assessed"),
        ("1.2", "1", "criterion", 20, "assessed"),
        ("1.3", "1", "criterion", 5, "assessed"),
    ]

    # when 1.1 gives up 5 points
    criterion_update(criterion=_node(draft, "1.1"), maximum=35, actor="test")

    # then it adds up again
    assert framework_problems(framework=draft) == []


def test_a_leaf_that_gets_a_child_becomes_an_inner_node_and_kinds_follow_depth(draft):
    criterion_add(
        framework=draft, parent=_node(draft, "1.1"), code="1.1.1", name="Ban hành",
        maximum=40, actor="test",
    )  # fmt: skip

    assert ("1.1", "1", "criterion", 40, "") in _tree(draft)
    assert ("1.1.1", "1.1", "subcriterion", 40, "assessed") in _tree(draft)
    assert framework_problems(framework=draft) == []
    assert pytest.approx(framework_dict(framework=draft)["nodes"][0]["children"][0]["max"]) == 40


def test_moving_renaming_and_removing_keep_preorder(draft):
    criterion_move(criterion=_node(draft, "1.2"), offset=-1, actor="test")
    criterion_move(criterion=_node(draft, "2"), offset=-5, actor="test")
    criterion_update(
        criterion=_node(draft, "1.2"), name="Báo cáo định kỳ", name_en="Regular reports",
        actor="test",
    )  # fmt: skip

    assert [c[0] for c in _tree(draft)] == ["2", "2.1", "1", "1.2", "1.1"]
    assert (_node(draft, "1.2").name, _node(draft, "1.2").name_en) == (
        "Báo cáo định kỳ",
        "Regular reports",
    )

    criterion_remove(criterion=_node(draft, "1"), actor="test")

    assert [c[0] for c in _tree(draft)] == ["2", "2.1"]
    assert [p.code for p in framework_problems(framework=draft)] == [None]
    removed = AuditEntry.objects.get(action="reform.criterion_remove")
    assert removed.before["removed"] == ["1", "1.1", "1.2"]


def test_a_node_moves_under_another_parent_but_not_under_itself(draft):
    criterion_update(criterion=_node(draft, "1.2"), parent=_node(draft, "2"), actor="test")

    assert ("1.2", "2", "criterion", 20, "assessed") in _tree(draft)
    assert {p.code for p in framework_problems(framework=draft)} == {"1", "2"}
    with pytest.raises(ValidationError) as caught:
        criterion_update(criterion=_node(draft, "1"), parent=_node(draft, "1.1"), actor="test")
    assert "parent" in caught.value.message_dict


def test_survey_leaves_take_a_checked_conversion_rule(draft):
    leaf = _node(draft, "2.1")

    criterion_update(
        criterion=leaf, rule={"type": "minmax", "direction": "negative", "years": 3},
        actor="test",
    )  # fmt: skip
    assert _node(draft, "2.1").rule == {"type": "minmax", "direction": "negative", "years": 3}
    criterion_update(
        criterion=leaf, rule={"type": "bands", "bands": [[0.9, 40], [0.7, 20]]}, actor="test"
    )
    assert _node(draft, "2.1").rule == {"type": "bands", "bands": [[0.7, 20.0], [0.9, 40.0]]}

    for bad in (
        {"type": "linear", "scale": 0},
        {"type": "bands", "bands": [[0.9, 50]]},  # above the maximum 40
        {"type": "minmax", "direction": "up"},
        {"type": "minmax", "years": 0},
        {"type": "cubic"},
    ):
        with pytest.raises(ValidationError) as caught:
            criterion_update(criterion=leaf, rule=bad, actor="test")
        assert "rule" in caught.value.message_dict, bad
    assert _node(draft, "2.1").rule == {"type": "bands", "bands": [[0.7, 20.0], [0.9, 40.0]]}


def test_an_assessed_leaf_becomes_survey_based_and_back(draft):
    criterion_update(
        criterion=_node(draft, "1.2"), leaf="survey", component="sipas.procedures",
        rule={"type": "linear", "scale": 100}, actor="test",
    )  # fmt: skip
    survey = _node(draft, "1.2")
    criterion_update(criterion=survey, leaf="assessed", actor="test")
    assessed = _node(draft, "1.2")

    assert (survey.leaf, survey.component, survey.rule) == (
        "survey",
        "sipas.procedures",
        {"type": "linear", "scale": 100},
    )
    assert (assessed.leaf, assessed.component, assessed.rule) == ("assessed", "", None)


def test_bad_input_is_refused_with_field_errors_and_nothing_changes(draft):
    before = _tree(draft)

    with pytest.raises(ValidationError) as caught:
        criterion_add(framework=draft, parent=None, code="1", name="", maximum="many", actor="test")

    assert set(caught.value.message_dict) == {"code", "name", "maximum"}
    with pytest.raises(ValidationError) as caught:
        criterion_add(
            framework=draft, parent=_node(draft, "1"), code="B", name="Thưởng", kind="bonus",
            maximum=2, actor="test",
        )  # fmt: skip
    assert "kind" in caught.value.message_dict
    assert _tree(draft) == before


def test_every_edit_is_refused_once_a_round_uses_the_framework(draft, province):
    now = timezone.now()
    round_open(
        framework=draft, code="r", name="R", year=2026, scope=province,
        self_score_deadline=now, appraisal_deadline=now + dt.timedelta(days=1),
        publication_date=now + dt.timedelta(days=2), actor="test",
    )  # fmt: skip
    before = _tree(draft)

    for edit in (
        lambda: criterion_add(framework=draft, parent=None, code="3", name="x", actor="t"),
        lambda: criterion_update(criterion=_node(draft, "1.1"), name="x", actor="t"),
        lambda: criterion_move(criterion=_node(draft, "1.2"), offset=-1, actor="t"),
        lambda: criterion_remove(criterion=_node(draft, "1.2"), actor="t"),
    ):
        with pytest.raises(FrameworkLocked):
            edit()
    assert _tree(draft) == before


def test_a_round_cannot_open_on_a_tree_that_does_not_add_up(draft, province):
    criterion_update(criterion=_node(draft, "1.1"), maximum=30, actor="test")
    now = timezone.now()

    with pytest.raises(ValidationError) as caught:
        round_open(
            framework=draft, code="r", name="R", year=2026, scope=province,
            self_score_deadline=now, appraisal_deadline=now, publication_date=now, actor="t",
        )  # fmt: skip

    assert caught.value.messages[0].startswith("1 (Chỉ đạo, điều hành)")
    draft.refresh_from_db()
    assert draft.frozen is False


def test_edits_are_audited_with_before_and_after(draft):
    criterion_update(criterion=_node(draft, "1.1"), maximum=35, actor="test")

    entry = AuditEntry.objects.get(action="reform.criterion_update")
    assert (entry.before["maximum"], entry.after["maximum"]) == (40, 35)


def _admin_client(province):
    client = Client()
    client.force_login(member("sysadmin", Role.SYSADMIN, province))
    return client


def test_the_editor_pages_add_edit_move_and_remove(draft, province):
    client = _admin_client(province)
    url = "/index/frameworks/commune-2026/edit/"

    page = client.get(url)
    added = client.post(
        "/index/frameworks/commune-2026/add/",
        {"code": "2.2", "name": "Hài lòng về thủ tục", "name_en": "Procedures",
         "parent": "2", "maximum": "10", "leaf": "survey", "rule_type": "bands",
         "bands": "0,7:5; 0,9:10", "component": "sipas.procedures", "direction": "positive"},
    )  # fmt: skip
    unbalanced = client.get(url).content.decode()
    edited = client.post(
        "/index/frameworks/commune-2026/nodes/2.1/",
        {"name": "Hài lòng chung", "parent": "2", "maximum": "30", "leaf": "survey",
         "rule_type": "minmax", "direction": "negative", "years": "3",
         "component": "sipas.overall"},
    )  # fmt: skip
    moved = client.post(url, {"action": "up", "node": "2.2"})
    removed = client.post(url, {"action": "remove", "node": "1.2"})

    assert page.status_code == 200 and 'data-node="1.1"' in page.content.decode()
    assert added.status_code == 302
    assert "2 (Tác động): tổng các tiêu chí con là 50, không phải 40" in unbalanced
    assert edited.status_code == 302
    assert moved.status_code == 302 and removed.status_code == 302
    assert [c[0] for c in _tree(draft)] == ["1", "1.1", "2", "2.2", "2.1"]
    assert _node(draft, "2.2").rule == {"type": "bands", "bands": [[0.7, 5.0], [0.9, 10.0]]}
    assert _node(draft, "2.1").rule == {"type": "minmax", "direction": "negative", "years": 3}


def test_the_node_form_shows_field_errors_with_400(draft, province):
    client = _admin_client(province)

    response = client.post(
        "/index/frameworks/commune-2026/add/",
        {"code": "1.1", "name": "Trùng", "parent": "1", "leaf": "survey", "rule_type": "bands",
         "bands": "nonsense"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "threshold:points" in response.content.decode() or "ngưỡng" in (
        response.content.decode()
    )
    assert Criterion.objects.filter(framework=draft).count() == 5


def test_the_editor_is_for_administrators_and_says_frozen(draft, province, scoring_round):
    appraiser = Client()
    appraiser.force_login(member("a", Role.APPRAISER, province))
    client = _admin_client(province)

    assert appraiser.get("/index/frameworks/commune-2026/edit/").status_code == 404
    frozen = client.get("/index/frameworks/commune-2026/edit/").content.decode()
    assert 'data-frozen="1"' in frozen and "Xóa" not in frozen
    client.post("/index/frameworks/commune-2026/edit/", {"action": "remove", "node": "1.2"})
    assert Criterion.objects.filter(framework=draft, code="1.2").exists()


def test_the_api_adds_updates_and_removes_nodes(draft, province):
    client = _admin_client(province)
    base = "/api/v1/index/frameworks/commune-2026/criteria/"

    added = client.post(
        base,
        {"code": "1.3", "parent": "1", "name": "Thông tin", "maximum": 5},
        content_type="application/json",
    )
    patched = client.patch(
        f"{base}1.1/", {"maximum": 35, "name_en": "Plan"}, content_type="application/json"
    )
    bad = client.patch(f"{base}2.1/", {"rule": {"type": "cubic"}}, content_type="application/json")
    deleted = client.delete(f"{base}1.3/")
    missing = client.delete(f"{base}9.9/")

    assert added.status_code == 201
    assert added.json()["problems"] == [
        {
            "code": "1",
            "message": "1 (Chỉ đạo, điều hành): tổng các tiêu chí con là 65, không phải 60",
        }
    ]
    assert patched.status_code == 200 and patched.json()["node"]["name_en"] == "Plan"
    assert bad.status_code == 400 and "rule" in bad.json()
    assert deleted.status_code == 200
    assert missing.status_code == 404
    assert [c[0] for c in _tree(draft)] == ["1", "1.1", "1.2", "2", "2.1"]
