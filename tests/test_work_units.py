"""tests/work_units.py: how the suite is cut into xdist work units and handed out."""

import ast
import os
import types

import pytest

from tests.work_units import OWN_UNITS
from tests.work_units import unit_scheduler
from tests.work_units import work_unit

pytestmark = pytest.mark.flavor_independent

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUDY = "tests/training/test_compare_attention_script.py"


def test_every_own_unit_names_a_test_that_exists():
    for name in OWN_UNITS:
        path, test = name.split("::")
        with open(os.path.join(ROOT, path)) as file:
            functions = {node.name for node in ast.walk(ast.parse(file.read()))
                         if isinstance(node, ast.FunctionDef)}
        assert test in functions, name


def test_a_file_is_one_unit_less_its_own_units():
    own = f"{STUDY}::test_tiny_keypoint_study_scores_oks_ap"
    assert own in OWN_UNITS
    assert work_unit(own) == own
    assert work_unit(f"{own}[a-b]") == own  # every parameter of it
    assert work_unit(f"{STUDY}::test_help") == STUDY
    assert work_unit("tests/a.py::test_x[1-2]") == work_unit("tests/a.py::test_y") == "tests/a.py"


class _Worker:
    def __init__(self, name):
        self.gateway = types.SimpleNamespace(id=name)
        self.shutting_down = False
        self.sent = []

    def send_runtest_some(self, indices):
        self.sent += indices

    def shutdown(self):
        self.shutting_down = True


def test_units_go_out_in_the_order_collected():
    options = {"tx": ["popen", "popen"], "numprocesses": 2}
    config = types.SimpleNamespace(
        option=types.SimpleNamespace(loadscopereorder=False, maxworkerrestart=None),
        getvalue=options.get)
    # Costliest first, as tests/conftest.py orders them: one study, then a two-test file,
    # then the other study, then cheap files.
    collection = [f"{STUDY}::test_tiny_segmentation_study_writes_paired_differences",
                  "tests/b.py::test_1", "tests/b.py::test_2",
                  f"{STUDY}::test_tiny_keypoint_study_scores_oks_ap",
                  f"{STUDY}::test_help", "tests/c.py::test_1", "tests/d.py::test_1"]
    scheduler = unit_scheduler(config, None)
    workers = [_Worker("gw0"), _Worker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
    for worker in workers:
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()
    sent = [[collection[i] for i in worker.sent] for worker in workers]
    # One unit each, then a second while the first has at most two tests to go.
    assert sent[0] == [collection[0], collection[3]]
    assert sent[1] == collection[1:3] + [collection[4]]
    assert list(scheduler.workqueue) == ["tests/c.py", "tests/d.py"]
