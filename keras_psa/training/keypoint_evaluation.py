"""A callback that scores OKS AP and PCK on the validation examples every epoch."""


from keras_psa.keras_flavor import keras
from keras_psa.keypoints.evaluation import predict_keypoints
from keras_psa.keypoints.evaluation import score_keypoints


def _predictor(model, batch_size):
    def predict(images):
        return model.predict(images, batch_size=batch_size, verbose=0)

    return predict


class KeypointEvaluation(keras.callbacks.Callback):
    """Adds `val_oks_ap`, `val_oks_ap50`, `val_oks_ap75`, `val_pck` to the epoch logs.

    COCOeval is not a Keras metric (it ranks whole people by score), so it runs
    here on decoded predictions of `examples` at each epoch end. Put it before
    `ModelCheckpoint` and `CSVLogger` in the callback list: they read the
    same logs.

    Args:
        examples: labelled examples as `keypoint_examples` returns them.
        sigma: the targets' sigma (sets the decoding's smoothing).
        batch_size: prediction batch size.
    """

    def __init__(self, examples, sigma, batch_size=16):
        super().__init__()
        self.examples = examples
        self.sigma = float(sigma)
        self.batch_size = int(batch_size)
        self.last_scores = None

    def evaluate(self, model=None):
        """`(KeypointScores, predictions (N, K, 3))` of `model` (default: the fitted one)."""
        model = model or self.model
        images = self.examples["images"]
        predictions = predict_keypoints(_predictor(model, self.batch_size), images,
                                        images.shape[1:3], self.sigma,
                                        batch_size=max(len(images), 1))
        return score_keypoints(predictions, self.examples), predictions

    def on_epoch_end(self, epoch, logs=None):
        scores, _ = self.evaluate()
        self.last_scores = scores
        if logs is not None:
            logs.update({"val_oks_ap": scores.ap, "val_oks_ap50": scores.ap50,
                         "val_oks_ap75": scores.ap75, "val_pck": scores.pck,
                         "val_mean_error_px": scores.mean_error_px})
