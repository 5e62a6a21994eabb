"""Arguments, validation and config shared by every PSA layer."""

from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import keras
from keras_psa.layers.quantizable_layer import QuantizableLayer

LAYOUTS = ("parallel", "sequential")
VARIANTS = ("paper", "official")

# DeLightCMU's PSA.py initialises its q/v convolutions with
# kaiming_normal_(mode="fan_in") and leaves conv_up at PyTorch's default,
# kaiming_uniform_(a=sqrt(5)), which is VarianceScaling(1/3, fan_in, uniform).
OFFICIAL_QV_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_in", "distribution": "untruncated_normal"},
}
OFFICIAL_UP_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_in", "distribution": "uniform"},
}


class BasePolarizedAttention(QuantizableLayer):
    """Base of the PSA layers: validates and stores the common arguments.

    Args:
        layout: `"parallel"` (PSA_p) or `"sequential"` (PSA_s).
        variant: `"paper"` for the equations of the paper, `"official"` for
            DeLightCMU's PSA.py, quirks included.
        use_bias: whether the paper variant's 1x1 convolutions have biases;
            `None` means True for `"paper"`. The official variant fixes its
            biases as PSA.py does and accepts only `None` or `False`.
        epsilon: LayerNorm epsilon. Defaults to PyTorch's 1e-5.
        kernel_initializer: initializer of every convolution kernel; `None`
            means glorot uniform for `"paper"` and PSA.py's kaiming schemes
            for `"official"`.
        bias_initializer: initializer of convolution biases.
        kernel_regularizer: regularizer of convolution kernels.
        bias_regularizer: regularizer of convolution biases.
        gamma_initializer: initializer of the LayerNorm scale.
        beta_initializer: initializer of the LayerNorm offset.
        gamma_regularizer: regularizer of the LayerNorm scale.
        beta_regularizer: regularizer of the LayerNorm offset.
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).
    """

    def __init__(
        self,
        layout="parallel",
        variant="paper",
        use_bias=None,
        epsilon=1e-5,
        kernel_initializer=None,
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        gamma_initializer="ones",
        beta_initializer="zeros",
        gamma_regularizer=None,
        beta_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if layout not in LAYOUTS:
            raise ValueError(
                f"`layout` must be one of {LAYOUTS}. Received: layout={layout!r}"
            )
        if variant not in VARIANTS:
            raise ValueError(
                f"`variant` must be one of {VARIANTS}. Received: variant={variant!r}"
            )
        if use_bias is not None and not isinstance(use_bias, bool):
            raise TypeError(
                f"`use_bias` must be None, True or False. Received: use_bias={use_bias!r}"
            )
        if variant == "official" and use_bias:
            raise ValueError(
                "`use_bias` must be None or False with variant='official': PSA.py "
                "fixes which convolutions have biases. Use variant='paper' for "
                "biased convolutions. Received: use_bias=True"
            )
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(
                f"`epsilon` must be a non-negative number. Received: epsilon={epsilon!r}"
            )
        self.layout = layout
        self.variant = variant
        self.use_bias = use_bias
        self.epsilon = float(epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_regularizer = keras.regularizers.get(gamma_regularizer)
        self.beta_regularizer = keras.regularizers.get(beta_regularizer)

    @property
    def official_sequential(self):
        return self.variant == "official" and self.layout == "sequential"

    def _conv(self, filters, name, official_initializer=OFFICIAL_QV_INITIALIZER, use_bias=None):
        """A 1x1 convolution configured from the layer's arguments."""
        if use_bias is None:
            use_bias = self.variant == "paper" and self.use_bias is not False
        initializer = self.kernel_initializer
        if initializer is None:
            initializer = official_initializer if self.variant == "official" else "glorot_uniform"
        return keras.layers.Conv2D(
            filters,
            1,
            use_bias=use_bias,
            kernel_initializer=keras.initializers.get(initializer),
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            dtype=self.dtype_policy,
            name=name,
        )

    def _layer_norm_weights(self, size):
        gamma = self.add_weight(
            name="gamma",
            shape=(size,),
            initializer=self.gamma_initializer,
            regularizer=self.gamma_regularizer,
            dtype="float32",
        )
        beta = self.add_weight(
            name="beta",
            shape=(size,),
            initializer=self.beta_initializer,
            regularizer=self.beta_regularizer,
            dtype="float32",
        )
        return gamma, beta

    def _channels(self, input_shape, min_channels=2):
        """Validates an NHWC input shape and returns its channel count."""
        shape = tuple(input_shape)
        if len(shape) != 4:
            raise ValueError(
                f"{type(self).__name__} expects a 4-D NHWC input (batch, height, width, "
                f"channels). Received: input_shape={shape}"
            )
        channels = shape[-1]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} needs a known channel dimension: give the "
                f"model's Input a static last axis. Received: input_shape={shape}"
            )
        if channels < min_channels:
            raise ValueError(
                f"{type(self).__name__} with variant={self.variant!r}, "
                f"layout={self.layout!r} needs at least {min_channels} input channels. "
                f"Received: input_shape={shape}"
            )
        return int(channels)

    def _check_dtype(self, inputs):
        if not ops.is_float_dtype(inputs.dtype):
            raise TypeError(
                f"{type(self).__name__} expects a floating-point input; cast it first, "
                f"e.g. with keras.layers.Rescaling. Received: inputs.dtype={inputs.dtype}"
            )

    def compute_output_shape(self, input_shape):
        # Every PSA block and branch gates its input: the shape is unchanged.
        return tuple(input_shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        # Keras 3 infers symbolic outputs from compute_output_shape without
        # running `call`: check the dtype here too, so a Functional model with an
        # integer input fails when it is built.
        self._check_dtype(inputs)
        return super().compute_output_spec(inputs, *args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layout": self.layout,
                "variant": self.variant,
                "use_bias": self.use_bias,
                "epsilon": self.epsilon,
                "kernel_initializer": (
                    None
                    if self.kernel_initializer is None
                    else keras.initializers.serialize(self.kernel_initializer)
                ),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
                "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
                "beta_initializer": keras.initializers.serialize(self.beta_initializer),
                "gamma_regularizer": keras.regularizers.serialize(self.gamma_regularizer),
                "beta_regularizer": keras.regularizers.serialize(self.beta_regularizer),
            }
        )
        return config
