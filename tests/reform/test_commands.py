"""index_framework and index_score: CSV out, JSON out, one line per problem, exit code 2."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.reform.scoring.test_totals import PCI_2020


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _csv(tmp_path, text: str) -> str:
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_index_framework_prints_the_tree_as_csv():
    out, _ = _run("index_framework", "pci-2013-2021")

    lines = out.splitlines()

    assert lines[0] == "code,parent,name,kind,maximum_or_weight"
    assert lines[1] == "S1,,Gia nhập thị trường,domain:survey,5"
    assert len(lines) == 11


@pytest.mark.django_db
def test_index_framework_reads_a_file_and_names_the_node_that_does_not_add_up(tmp_path):
    from reform.catalog import SHIPPED_DIR

    raw = json.loads((SHIPPED_DIR / "par-province-2017.json").read_text(encoding="utf-8"))
    raw["nodes"][1]["children"][0]["max"] = 5
    path = tmp_path / "fw.json"
    path.write_text(json.dumps(raw), encoding="utf-8")

    with translation.override("en"), pytest.raises(CommandError) as caught:
        _run("index_framework", str(path))

    assert caught.value.returncode == 2


@pytest.mark.django_db
def test_an_unknown_framework_exits_with_2():
    with pytest.raises(CommandError) as caught:
        _run("index_framework", "no-such-framework")
    assert caught.value.returncode == 2


@pytest.mark.django_db
def test_index_score_prints_totals_domains_ranks_and_bands(tmp_path):
    rows = ["unit,criterion,value"] + [
        f"{unit},S{j},{value}"
        for unit, (values, _) in PCI_2020.items()
        for j, value in enumerate(values, start=1)
    ]
    path = _csv(tmp_path, "\n".join(rows) + "\n")

    out, _ = _run("index_score", "pci-2013-2021", path)

    report = json.loads(out)
    assert [(u["unit"], u["total"], u["rank"], u["band"]) for u in report["units"]] == [
        ("Quảng Ninh", 73.04, 1, "Rất tốt"),
        ("Hải Phòng", 70.6, 2, "Rất tốt"),  # 70.605 in floating point: 70.6049…,
        ("Đồng Tháp", 70.52, 3, "Rất tốt"),
    ]
    assert report["units"][0]["domains"]["S3"] == 6.31


@pytest.mark.django_db
def test_index_score_reports_each_problem_on_its_own_line(tmp_path):
    # given a value above its maximum, an unknown code, a non-number, an inner node,
    # and unit B without its 1.1.2
    path = _csv(
        tmp_path,
        "unit,criterion,value\nA,1.1.1,1.5\nA,9.9,1\nA,1.2,abc\nA,1.1,2\n",
    )

    with translation.override("en"), pytest.raises(CommandError) as caught:
        _, _ = _run("index_score", "par-province-2017", path)

    assert caught.value.returncode == 2


@pytest.mark.django_db
def test_index_score_problem_lines_are_exact(tmp_path, capsys):
    path = _csv(tmp_path, "unit,criterion,value\nA,1.1.1,1.5\nA,9.9,1\nA,1.2,abc\nA,1.1,2\n")
    err = io.StringIO()

    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("index_score", "par-province-2017", path, stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[:4] == [
        "line 2: A 1.1.1 = 1.5 is above its maximum 1",
        "line 3: unknown criterion '9.9'",
        "line 4: 'abc' is not a number",
        "line 5: 1.1 is not a leaf (score its sub-criteria)",
    ]
    assert lines[4] == "A: no value for 1.1.2"
    assert "A: no value for 1.2" not in lines  # its bad value was already reported
    assert str(caught.value) == f"{len(lines)} problem(s) in {path}"


@pytest.mark.django_db
def test_index_score_problems_are_in_vietnamese_by_default(tmp_path):
    path = _csv(tmp_path, "unit,criterion,value\nA,9.9,1\n")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("index_score", "pci-2013-2021", path, stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines()[0] == "dòng 2: không có tiêu chí '9.9'"


@pytest.mark.django_db
def test_load_frameworks_loads_every_shipped_tree_and_index_framework_reads_it_back():
    from reform.models import Framework

    out, _ = _run("load_frameworks")

    assert Framework.objects.count() == 5
    assert Framework.objects.get(code="par-province-2017").criteria.count() == 39
    assert out.splitlines()[1] == "par-province-2017: 39 tiêu chí"
