"""Learning-rate schedules by name, with linear warmup."""

from keras_psa.keras_flavor import keras

SCHEDULES = ("cosine", "constant")


def learning_rate_schedule(name, learning_rate, total_steps, warmup_steps=0, final_fraction=0.0):
    """Returns a `LearningRateSchedule` that warms up linearly, then holds or decays.

    Both schedules are Keras' `CosineDecay` (so they serialize with the
    optimizer): `"cosine"` decays to `final_fraction * learning_rate` at
    `total_steps`; `"constant"` is a cosine whose floor is the peak itself.

    Args:
        name: `"cosine"` or `"constant"`.
        learning_rate: peak learning rate, reached after the warmup.
        total_steps: optimizer steps of the whole run.
        warmup_steps: steps of the linear warmup from 0.
        final_fraction: floor of `"cosine"` as a fraction of the peak.
    """
    if name not in SCHEDULES:
        raise ValueError(f"`name` must be one of {SCHEDULES}. Received: name={name!r}")
    if not learning_rate > 0:
        raise ValueError(
            f"`learning_rate` must be positive. Received: learning_rate={learning_rate!r}"
        )
    if int(warmup_steps) < 0 or int(warmup_steps) >= int(total_steps):
        raise ValueError(
            "`warmup_steps` must be >= 0 and smaller than `total_steps`. "
            f"Received: warmup_steps={warmup_steps}, total_steps={total_steps}"
        )
    warmup_steps = int(warmup_steps)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup_steps else float(learning_rate),
        decay_steps=max(1, int(total_steps) - warmup_steps),
        alpha=1.0 if name == "constant" else float(final_fraction),
        warmup_target=float(learning_rate) if warmup_steps else None,
        warmup_steps=warmup_steps,
    )
