"""The activations ``fastinit.explain`` knows: each a function of the
pre-activation array s that returns (f(s), f'(s)) in s's dtype.

The same functions run the network (float32/float64 arrays) and the
variance formula's Gaussian integrals (float64 quadrature nodes), so the
prediction and the measurement cannot disagree about what an activation is.
f'(0) of relu and leaky_relu is the left derivative (0, slope), as PyTorch's
autograd takes it: that is what keeps a zero-initialized relu net at zero.
"""
import math

import numpy as np

#: PyTorch's LeakyReLU default, and calculate_gain's default slope.
LEAKY_SLOPE = 0.01
#: SELU's constants (Klambauer et al. 2017), as PyTorch and Keras.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


def _linear(s):
    return s, np.ones_like(s)


def _relu(s):
    return np.maximum(s, 0), (s > 0).astype(s.dtype)


def _leaky_relu(s):
    pos = s > 0
    return np.where(pos, s, s * LEAKY_SLOPE), np.where(pos, 1.0, LEAKY_SLOPE).astype(s.dtype)


def _tanh(s):
    t = np.tanh(s)
    return t, 1 - t * t


def _sigmoid(s):
    # 1 / (1 + exp(-s)) without exp's overflow for very negative s
    y = 0.5 + 0.5 * np.tanh(0.5 * s)
    return y, y * (1 - y)


def _selu(s):
    pos = s > 0
    e = np.expm1(np.minimum(s, 0))
    f = SELU_SCALE * np.where(pos, s, SELU_ALPHA * e)
    return f, (SELU_SCALE * np.where(pos, 1.0, SELU_ALPHA * (e + 1))).astype(s.dtype)


def _gelu(s):
    # the tanh approximation (PyTorch's approximate="tanh", jax.nn.gelu's
    # default): NumPy has no erf.  Beyond |s| = 10 tanh is +-1 in float64, so
    # clipping there changes nothing but keeps s^3 from overflowing.
    c = np.clip(s, -10, 10)
    t = np.tanh(_GELU_K * (c + _GELU_C * c * c * c))
    d = 0.5 * (1 + t) + 0.5 * c * (1 - t * t) * _GELU_K * (1 + 3 * _GELU_C * c * c)
    return 0.5 * s * (1 + t), d.astype(s.dtype)


ACTIVATIONS = {
    "linear": _linear, "relu": _relu, "leaky_relu": _leaky_relu, "tanh": _tanh,
    "sigmoid": _sigmoid, "selu": _selu, "gelu": _gelu,
}

#: Activations whose units can be dead (never positive on the batch).
DYING = ("relu", "leaky_relu", "gelu")
#: Activations with flat tails, and the output values that count as saturated.
SATURATING = {"tanh": lambda x: np.abs(x) > 0.99,
              "sigmoid": lambda x: (x < 0.01) | (x > 0.99)}
