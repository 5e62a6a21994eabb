"""ResumableBackup: step-named atomic backups, fallback to an older one, CSV trimming."""

import os

import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from keras_psa.training import ResumableBackup
from keras_psa.training.training_log import best_logged
from keras_psa.training.training_log import read_log
from keras_psa.training.training_log import trim_log


def _model():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    return model


def test_backups_every_save_freq_steps_and_restore_the_newest(tmp_path):
    keras.utils.set_random_seed(0)
    model = _model()
    backup = ResumableBackup(str(tmp_path / "backup"), save_freq=2, keep=2)
    x, y = np.ones((10, 3), np.float32), np.zeros((10, 2), np.float32)
    model.fit(x, y, batch_size=2, epochs=1, callbacks=[backup], verbose=0, shuffle=False)
    # Steps 2 and 4 by frequency, 5 at the epoch end; only the newest two are kept.
    assert [step for step, _ in backup.backups()] == [5, 4]
    restored = _model()
    assert ResumableBackup(str(tmp_path / "backup"), save_freq=2).restore(restored) == 5
    for mine, theirs in zip(restored.weights, model.weights):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))
    assert int(restored.optimizer.iterations) == 5


def test_a_torn_backup_falls_back_to_the_previous_one(tmp_path):
    model = _model()
    backup = ResumableBackup(str(tmp_path / "backup"), save_freq=1)
    backup.set_model(model)
    backup.step = 3
    backup.save()
    backup.step = 4
    backup.save()
    newest = backup.backups()[0][1]
    for name in os.listdir(newest):
        with open(os.path.join(newest, name), "wb") as file:
            file.write(b"not a weights file")
    assert ResumableBackup(str(tmp_path / "backup"), save_freq=1).restore(_model()) == 3


def test_fresh_directory_restores_step_zero(tmp_path):
    assert ResumableBackup(str(tmp_path / "none"), save_freq=5).restore(_model()) == 0


def test_save_freq_must_be_positive_steps(tmp_path):
    with pytest.raises(ValueError, match="save_freq"):
        ResumableBackup(str(tmp_path), save_freq="epoch")


def test_trim_log_drops_epochs_to_be_retrained(tmp_path):
    path = str(tmp_path / "log.csv")
    with open(path, "w") as file:
        file.write("epoch,loss,val_mean_iou\n0,1.0,0.2\n1,0.8,0.5\n2,0.7,0.4\n3,0.6")
    trim_log(path, 2)
    assert [row["epoch"] for row in read_log(path)] == [0, 1]
    assert best_logged(path, "val_mean_iou") == pytest.approx(0.5)
