"""In Chromium: an administrator edits a draft framework — adds a survey-based leaf
with a banded rule (the form shows only that rule's fields), sees the sum problem
naming the node, fixes it, moves and removes nodes."""

import pytest

from org.models import Role
from reform.models import Criterion
from reform.services import framework_import
from tests.factories import member
from tests.reform.conftest import SMALL
from tests.reform.test_browser import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_edits_a_framework_in_the_browser(
    browser, live_server, artifacts, province
):
    framework = framework_import(data=SMALL, actor="test")
    member("sysadmin2", Role.SYSADMIN, province)
    base = live_server.url
    edit = "/index/frameworks/commune-2026/edit/"

    # given the administrator on the editor of a balanced draft
    context, page = _sign_in(browser, base, "sysadmin2", edit)
    assert page.locator("[data-valid]").count() == 1

    # when they add 2.2 under 2: a survey-based leaf with threshold bands
    page.click("tr[data-node='2'] >> text=Thêm mục con")
    page.fill("#id_code", "2.2")
    page.fill("#id_name", "Hài lòng về thủ tục")
    page.fill("#id_name_en", "Satisfaction with procedures")
    page.fill("#id_maximum", "10")
    assert page.locator("[data-field=rule_type]").is_hidden()
    page.select_option("#id_leaf", "survey")
    page.select_option("#id_rule_type", "bands")
    # then only the fields of a banded rule show
    assert page.locator("[data-field=bands]").is_visible()
    assert page.locator("[data-field=scale]").is_hidden()
    assert page.locator("[data-field=years]").is_hidden()
    page.fill("#id_bands", "0,7:5; 0,9:10")
    page.fill("#id_component", "sipas.procedures")
    page.click("form.criterion-form button[type=submit]")

    # then the tree names the node that no longer adds up
    page.wait_for_url(f"{base}{edit}")
    problem = page.locator("tr[data-node='2'] .problem").inner_text()
    assert problem == "2 (Tác động): tổng các tiêu chí con là 50, không phải 40"
    page.screenshot(path=str(artifacts / "reform-editor-problem.png"), full_page=True)

    # when 2.1 gives up 10 points, 2.2 moves up and 1.2 is removed (confirmed)
    page.click("tr[data-node='2.1'] >> text=Sửa")
    page.fill("#id_maximum", "30")
    page.click("form.criterion-form button[type=submit]")
    page.wait_for_url(f"{base}{edit}")
    page.click("tr[data-node='2.2'] button[value=up]")
    page.wait_for_selector(".messages")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("tr[data-node='1.2'] button[value=remove]")
    page.wait_for_selector("tr[data-node='1.2']", state="detached")

    # then the rows follow the new order and only domain 1 is left unbalanced
    codes = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.node)")
    assert codes == ["1", "1.1", "2", "2.2", "2.1"]
    assert page.locator(".problem").all_inner_texts() == [
        "1 (Chỉ đạo, điều hành): tổng các tiêu chí con là 40, không phải 60"
    ]
    page.screenshot(path=str(artifacts / "reform-editor.png"), full_page=True)
    context.close()
    rule = Criterion.objects.get(framework=framework, code="2.2").rule
    assert rule == {"type": "bands", "bands": [[0.7, 5.0], [0.9, 10.0]]}
