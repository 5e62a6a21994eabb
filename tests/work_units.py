"""How the suite is cut into pytest-xdist work units, and in which order they go out.

A unit runs whole on one worker, so a module fixture is built once per file. A file is one
unit, except the tests in OWN_UNITS: slow tests that share no module fixture with the rest of
their file, each a unit of its own, so that one worker is not held for all of them. The
workers order the units costliest first (tests/conftest.py); the scheduler keeps that order.
xdist's `loadgroup` would do the cutting from `xdist_group` marks, but with pytest 9 it no
longer renames the tests and sends each one anywhere.
"""

OWN_UNITS = frozenset({
    "tests/export/npu/test_npu_compilation.py::"
    "test_qat_int8_segmenters_compile_fully_for_intel_and_run_like_the_cpu",
    "tests/training/test_compare_attention_script.py::"
    "test_tiny_segmentation_study_writes_paired_differences",
    "tests/training/test_compare_attention_script.py::test_tiny_keypoint_study_scores_oks_ap",
    "tests/training/test_train_keypoints_script.py::"
    "test_the_same_model_trains_and_scores_on_a_coco_folder",
    "tests/training/test_train_segmentation_script.py::test_mirrored_strategy_on_two_logical_cpus",
    "tests/training/test_train_segmentation_script.py::"
    "test_multiworker_strategy_with_two_local_workers",
    "tests/training/test_train_segmentation_script.py::"
    "test_mixed_precision_run_trains_in_bfloat16_and_saves_float32_logits",
})


def work_unit(nodeid):
    """The unit of a test: its own name if listed in OWN_UNITS (all its parameters), else its
    file."""
    test = nodeid.split("[", 1)[0]
    return test if test in OWN_UNITS else nodeid.split("::", 1)[0]


def unit_scheduler(config, log):
    """xdist's `--dist loadfile` with the units of `work_unit`. Run it with
    `--no-loadscope-reorder`, or xdist hands out the units with the most tests first instead of
    the costliest."""
    from xdist.scheduler import LoadFileScheduling

    class UnitScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    return UnitScheduling(config, log)
