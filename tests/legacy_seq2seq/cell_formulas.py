"""NumPy statements of TF 1.15's RNN cell equations: an oracle independent of TensorFlow.

Weights are passed by their TF 1.15 variable names relative to the cell's scope (e.g.
``kernel``, ``w_f_diag``, ``projection/kernel``).  numpy only, Python 3.7 compatible, so that the
same functions can be checked against the real TF 1.15 cells.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _affine(weights: dict, prefix: str, *args: np.ndarray) -> np.ndarray:
    """``concat(args, 1) @ <prefix>kernel + <prefix>bias``."""
    return np.concatenate(args, axis=1) @ weights[prefix + "kernel"] + weights[prefix + "bias"]


def basic_rnn(weights: dict, x: np.ndarray, h: np.ndarray) -> tuple:
    """BasicRNNCell: ``h' = tanh(W [x, h] + b)``; returns (output, new state), both ``h'``."""
    new_h = np.tanh(_affine(weights, "", x, h))
    return new_h, new_h


def lstm(
    weights: dict,
    x: np.ndarray,
    state: tuple,
    forget_bias: float = 1.0,
    use_peepholes: bool = False,
    cell_clip: float | None = None,
    num_proj: int | None = None,
    proj_clip: float | None = None,
) -> tuple:
    """LSTMCell with gates ordered i, j, f, o; returns (output m, (new c, new m))."""
    c_prev, m_prev = state
    i, j, f, o = np.split(_affine(weights, "", x, m_prev), 4, axis=1)
    if use_peepholes:
        c = _sigmoid(f + forget_bias + weights["w_f_diag"] * c_prev) * c_prev + _sigmoid(
            i + weights["w_i_diag"] * c_prev
        ) * np.tanh(j)
    else:
        c = _sigmoid(f + forget_bias) * c_prev + _sigmoid(i) * np.tanh(j)
    if cell_clip is not None:
        c = np.clip(c, -cell_clip, cell_clip)
    if use_peepholes:
        m = _sigmoid(o + weights["w_o_diag"] * c) * np.tanh(c)
    else:
        m = _sigmoid(o) * np.tanh(c)
    if num_proj is not None:
        m = m @ weights["projection/kernel"]
        if proj_clip is not None:
            m = np.clip(m, -proj_clip, proj_clip)
    return m, (c, m)


def gru(weights: dict, x: np.ndarray, h: np.ndarray) -> tuple:
    """GRUCell: ``r, u`` from ``gates/``, candidate from ``candidate/``; returns (h', h')."""
    r, u = np.split(_sigmoid(_affine(weights, "gates/", x, h)), 2, axis=1)
    candidate = np.tanh(_affine(weights, "candidate/", x, r * h))
    new_h = u * h + (1 - u) * candidate
    return new_h, new_h


def input_projection(weights: dict, x: np.ndarray) -> np.ndarray:
    """InputProjectionWrapper's projection (no activation): ``x @ kernel + bias``."""
    return _affine(weights, "", x)


def scoped(weights: dict, scope: str) -> dict:
    """The entries of ``weights`` under ``scope/``, keyed relative to it."""
    prefix = scope + "/"
    return {name[len(prefix):]: value for name, value in weights.items() if name.startswith(prefix)}
