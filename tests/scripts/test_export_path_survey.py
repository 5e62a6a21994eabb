"""scripts/export_path_survey.py: resuming from the committed survey, and its table."""

import json
import os
import shutil

import pytest

from tests.training.script_runner import ROOT
from tests.training.script_runner import load_script

pytestmark = pytest.mark.keras3_only

COMMITTED = os.path.join(ROOT, "docs", "export_paths.json")


def _survey():
    return load_script("scripts", "export_path_survey.py")


def _rows():
    with open(COMMITTED) as f:
        return json.load(f)


def test_committed_survey_covers_the_grid_and_every_cell_passes():
    survey = _survey()
    args = survey.parse_args(["--output", "unused"])
    rows = _rows()
    cells = {(r["backbone"], r["head"], r["attention"], r["path"], r["mode"]) for r in rows}
    expected = set(survey.cells(args, args.paths))
    assert cells == expected
    assert len(rows) == len(expected)
    assert not [row for row in rows if survey._failed(row)]


def test_resume_from_a_copied_survey_runs_nothing_and_writes_the_same_rows(tmp_path):
    survey = _survey()
    shutil.copy(COMMITTED, tmp_path / "export_paths.json")
    grid = ["--backbones", "mobilenet_v3_small", "--heads", "deeplabv3plus",
            "--attentions", "psa_s", "--paths", "convert_model", "keras_export"]
    # Nothing is converted: every cell of this slice is in the copied survey.
    assert survey.main(["--output", str(tmp_path), "--resume", *grid]) == 0
    table = (tmp_path / "export_paths.md").read_text()
    assert table.count("| mobilenet_v3_small | deeplabv3plus | psa_s |") == 5
    expected = [r for r in _rows() if r["path"] in ("convert_model", "keras_export")]
    with open(tmp_path / "rows_keras3.json") as f:
        assert json.load(f) == expected


def test_the_all_int8_qat_file_shows_xnnpack_only_in_its_column():
    survey = _survey()
    row = next(r for r in _rows() if r["path"] == "qat" and r["attention"] == "psa_s")
    cells = {name: survey._cell(name, row["checks"].get(name), row) for name in survey.CHECKS}
    assert cells["xnnpack"].startswith("GPU/NPU file: ")
    assert cells["gpu_run"].startswith("ok ")
    assert "GPU/NPU" not in cells["keras_parity"]
