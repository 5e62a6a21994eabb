"""examples/compare_attention.py: --help, bad flags, and tiny paired-seed studies of both tasks
end to end."""

import json
import os
import subprocess
import sys

import pytest

from tests.training.script_runner import ROOT
from tests.training.script_runner import script_env

pytestmark = pytest.mark.flavor_independent

SCRIPT = os.path.join(ROOT, "examples", "compare_attention.py")


@pytest.mark.slow
def test_help():
    result = subprocess.run([sys.executable, SCRIPT, "--help"], env=script_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for flag in ("--task", "--seeds", "--attentions", "--dataset", "--epochs",
                 "--latency-runs", "--val-examples"):
        assert flag in result.stdout


@pytest.mark.slow
def test_unknown_attention_is_rejected():
    result = subprocess.run([sys.executable, SCRIPT, "--attentions", "psa_p,nonlocal"],
                            env=script_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--attentions" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("task, size", [("segmentation", "64,48"), ("keypoints", "64")])
def test_image_size_must_fit_the_task(task, size):
    result = subprocess.run([sys.executable, SCRIPT, "--task", task, "--image-size", size],
                            env=script_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--image-size" in result.stderr


TINY = ("--attentions", "none,psa_p", "--seeds", "2", "--epochs", "1", "--steps-per-epoch",
        "2", "--warmup-steps", "1", "--batch-size", "4", "--train-examples", "16", "--alpha",
        "0.35", "--head-filters", "16", "--latency-runs", "3", "--val-examples", "8")


def _run(output_dir, *args):
    return subprocess.run([sys.executable, SCRIPT, *TINY, *args, "--output-dir", output_dir],
                          env=script_env(), capture_output=True, text=True, timeout=900)


def _study(output_dir, *args):
    result = _run(output_dir, *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(os.path.join(output_dir, "study.json")) as file:
        rows = {row["attention"]: row for row in json.load(file)["rows"]}
    with open(os.path.join(output_dir, "study.md")) as file:
        table = file.read()
    assert os.path.getsize(os.path.join(output_dir, "study.png")) > 0
    return rows, table


def _check_paired_rows(rows, metric):
    from keras_psa.training import paired_difference

    assert set(rows) == {"none", "psa_p"}
    assert rows["psa_p"]["params"] > rows["none"]["params"]
    assert rows["psa_p"]["macs"] > rows["none"]["macs"]
    assert all(row["tflite_fp32_ms"] > 0 for row in rows.values())
    assert all(row["metric"] == metric and len(row["value_runs"]) == 2
               for row in rows.values())
    assert rows["none"]["difference_to_none"] is None
    # The difference is seed by seed, from the same runs the table shows.
    expected = paired_difference(rows["psa_p"]["value_runs"], rows["none"]["value_runs"])
    assert rows["psa_p"]["difference_to_none"] == expected
    assert expected["low"] <= expected["mean"] <= expected["high"]
    # ... and the same for the secondary metric.
    assert rows["none"]["secondary_difference_to_none"] is None
    assert rows["psa_p"]["secondary_difference_to_none"] == paired_difference(
        rows["psa_p"]["secondary_runs"], rows["none"]["secondary_runs"])
    assert all(len(row["secondary_runs"]) == 2 for row in rows.values())


@pytest.mark.slow
@pytest.mark.cost(230)
def test_tiny_segmentation_study_writes_paired_differences(tmp_path):
    records = tmp_path / "records"
    rows, table = _study(str(tmp_path / "study"), "--record-dir", str(records))
    _check_paired_rows(rows, "mean_iou")
    assert "| psa_p |" in table and "| none |" in table
    assert "val mean IoU: difference to none (95% CI)" in table
    assert "val pixel acc.: difference to none (95% CI)" in table
    assert "2 paired seed(s) each" in table

    # One record per run, without the run folder's file paths, with the CPU it ran on.
    names = sorted(os.listdir(records))
    assert names == ["none_seed0.json", "none_seed1.json", "psa_p_seed0.json",
                     "psa_p_seed1.json"]
    for name in names:
        with open(records / name) as file:
            record = json.load(file)
        assert "files" not in record and record["machine"]["cpu"]
        assert record["timing"]["run_seconds"] > 0
    with open(records / "psa_p_seed1.json") as file:
        assert json.load(file)["val"]["mean_iou"] == rows["psa_p"]["value_runs"][1]

    # A new output folder with the same records trains nothing and gives the same rows.
    again, _ = _study(str(tmp_path / "elsewhere"), "--record-dir", str(records))
    assert not os.path.exists(tmp_path / "elsewhere" / "runs")
    assert [again[a]["value_runs"] for a in again] == [rows[a]["value_runs"] for a in rows]

    # --report-only tabulates the seeds every attention has reached, and says so.
    (records / "none_seed1.json").unlink()
    partial, table = _study(str(tmp_path / "report"), "--record-dir", str(records),
                            "--report-only", "--seeds", "3")
    assert "1 of 3 paired seeds each so far" in table
    assert partial["psa_p"]["value_runs"] == rows["psa_p"]["value_runs"][:1]
    assert partial["psa_p"]["difference_to_none"]["low"] is None

    # A record of another recipe, or a corrupt one, is refused by name.
    result = _run(str(tmp_path / "report"), "--record-dir", str(records), "--report-only",
                  "--lr", "0.5")
    assert result.returncode != 0
    assert "none_seed0.json was trained with another recipe: learning_rate" in result.stderr
    (records / "psa_p_seed0.json").write_text("{not json")
    result = _run(str(tmp_path / "report"), "--record-dir", str(records), "--report-only")
    assert result.returncode != 0
    assert "psa_p_seed0.json is not a finished run's summary" in result.stderr
    assert "Delete it to train that run again" in result.stderr


@pytest.mark.slow
@pytest.mark.cost(171)
def test_tiny_keypoint_study_scores_oks_ap(tmp_path):
    rows, table = _study(str(tmp_path / "study"), "--task", "keypoints", "--image-size",
                         "64,48")
    _check_paired_rows(rows, "oks_ap")
    assert all(row["secondary_metric"] == "pck" for row in rows.values())
    assert "val OKS AP" in table and "64x48" in table
