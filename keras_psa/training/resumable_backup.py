"""Step-exact training backups: a BackupAndRestore that resumes mid-epoch."""

import os
import re
import shutil

import tensorflow as tf

from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.training.optimizer_variables import build_optimizer_variables

_BACKUP = re.compile(r"^step-(\d+)$")


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """Backs up weights and optimizer state every `save_freq` steps; restores the exact step.

    Keras' own `BackupAndRestore` resumes an interrupted epoch from its first
    batch, so a run killed mid-epoch trains again on batches its weights have
    already seen and ends elsewhere than an uninterrupted run. This subclass
    keeps its interface but records the global step: each backup is a folder
    `step-<N>` written under a temporary name and renamed when complete (a
    SIGKILL leaves either the old or the new backup, never a torn one), and
    `restore(model)` is called explicitly before the data pipeline is built,
    so that the caller can start an endless stream at that step
    (`load_dataset(..., repeat=True, start_step=step)`) and fit only the
    rest of the interrupted epoch.

    It also saves at every epoch end; put it last in the callback list so that
    the epoch's other callbacks (CSV row, best checkpoint) ran before.

    Args:
        backup_dir: folder for the backups; used for nothing else.
        save_freq: int, optimizer steps between two backups.
        keep: how many of the newest backups to keep (an older one is the
            fallback if the newest cannot be read).

    Example:

    ```python
    backup = ResumableBackup("out/backup", save_freq=50)
    step = backup.restore(model)     # 0 on a fresh run
    data, _ = load_dataset("digits", 128, 16, repeat=True, start_step=step)
    ```
    """

    def __init__(self, backup_dir, save_freq, keep=2):
        if not isinstance(save_freq, int) or isinstance(save_freq, bool) or save_freq < 1:
            raise ValueError(
                f"`save_freq` must be a positive int (steps). Received: save_freq={save_freq!r}"
            )
        super().__init__(os.fspath(backup_dir), save_freq=save_freq, delete_checkpoint=False)
        self.keep = int(keep)
        self.step = 0

    def backups(self):
        """`[(step, folder)]` of the complete backups, newest first."""
        if not os.path.isdir(self.backup_dir):
            return []
        found = []
        for entry in os.listdir(self.backup_dir):
            match = _BACKUP.match(entry)
            if match:
                found.append((int(match.group(1)), os.path.join(self.backup_dir, entry)))
        return sorted(found, reverse=True)

    def restore(self, model):
        """Loads the newest readable backup into `model` (built and compiled).

        Returns:
            int, the global step of the backup loaded, or 0 if there is none.
        """
        self.set_model(model)
        errors = []
        for step, folder in self.backups():
            try:
                build_optimizer_variables(model)
                model.load_weights(self._weights_file(folder))
            # A torn or foreign file: try an older backup.
            except (OSError, ValueError, RuntimeError, tf.errors.OpError) as error:
                errors.append(f"{folder}: {error}")
                continue
            self.step = step
            return step
        if errors:
            raise ValueError(
                "No backup in " + self.backup_dir + " could be loaded (delete the folder to "
                "start over): " + "; ".join(errors)
            )
        self.step = 0
        return 0

    def save(self):
        """Writes a backup of the current step now."""
        os.makedirs(self.backup_dir, exist_ok=True)
        final = os.path.join(self.backup_dir, f"step-{self.step:09d}")
        if os.path.isdir(final):
            return
        partial = os.path.join(self.backup_dir, f".partial-step-{self.step:09d}")
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial)
        self.model.save_weights(self._weights_file(partial))
        os.replace(partial, final)
        for _step, old in self.backups()[self.keep:]:
            shutil.rmtree(old, ignore_errors=True)

    def delete(self):
        """Removes every backup (call once the run's outputs are written)."""
        shutil.rmtree(self.backup_dir, ignore_errors=True)

    def on_train_begin(self, logs=None):
        pass  # restoring is explicit, see `restore`

    # tf_keras' parent updates its own checkpoint state in these hooks.
    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        steps = (self.params or {}).get("steps")
        last_of_epoch = steps is not None and batch + 1 >= steps
        if self.step % self.save_freq == 0 and not last_of_epoch:
            self.save()  # the epoch's last step is saved by on_epoch_end

    def on_epoch_end(self, epoch, logs=None):
        self.save()

    def on_train_end(self, logs=None):
        pass

    @staticmethod
    def _weights_file(folder):
        # Keras 3 .weights.h5 files hold the optimizer state; tf_keras needs
        # its TensorFlow checkpoint format for that.
        return os.path.join(folder, "state" if USING_TF_KERAS else "state.weights.h5")
