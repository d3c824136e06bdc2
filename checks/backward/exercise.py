"""The exercise: a 2-layer MLP with batch norm, tanh and softmax cross-entropy, forward and the backward solution.

A learner writes `backward` themselves (notebooks/05_backward_line_by_line.ipynb) and checks it with
`checks.check_backward(forward, backward, inputs)`, or copies this file and runs `derive gradcheck FILE.py`.
The file is self-contained on purpose: it imports only numpy, as a learner's own file would.
"""

import numpy as np

BATCH, FEATURES, HIDDEN, CLASSES = 32, 10, 64, 5
EPS = 1e-5


def inputs():
    """The data (x, labels) and the parameters, seeded."""
    rng = np.random.default_rng(7)
    return {
        "x": rng.standard_normal((BATCH, FEATURES)),
        "labels": rng.integers(CLASSES, size=BATCH),
        "W1": rng.standard_normal((FEATURES, HIDDEN)) / np.sqrt(FEATURES),
        "b1": 0.1 * rng.standard_normal((1, HIDDEN)),
        "gamma": 1 + 0.1 * rng.standard_normal((1, HIDDEN)),
        "beta": 0.1 * rng.standard_normal((1, HIDDEN)),
        "W2": rng.standard_normal((HIDDEN, CLASSES)) / np.sqrt(HIDDEN),
        "b2": 0.1 * rng.standard_normal((1, CLASSES)),
    }


def forward(x, labels, W1, b1, gamma, beta, W2, b2):
    n = x.shape[0]
    pre = x @ W1 + b1
    mu = pre.sum(axis=0, keepdims=True) / n
    centered = pre - mu
    sq = centered**2
    var = sq.sum(axis=0, keepdims=True) / (n - 1)
    inv_std = (var + EPS) ** -0.5
    normed = centered * inv_std
    bn = gamma * normed + beta
    h = np.tanh(bn)
    logits = h @ W2 + b2
    row_max = logits.max(axis=1, keepdims=True)
    shifted = logits - row_max
    counts = np.exp(shifted)
    total = counts.sum(axis=1, keepdims=True)
    inv_total = total**-1
    probs = counts * inv_total
    logp = np.log(probs)
    picked = logp[np.arange(n), labels]
    loss = -picked.mean()
    return loss


def backward(v):
    n = v["n"]
    dpicked = -np.ones(n) / n
    dlogp = np.zeros_like(v["logp"])
    dlogp[np.arange(n), v["labels"]] = dpicked
    dprobs = dlogp / v["probs"]
    dinv_total = (dprobs * v["counts"]).sum(axis=1, keepdims=True)
    dtotal = -dinv_total * v["total"] ** -2
    dcounts = dprobs * v["inv_total"] + dtotal
    dshifted = dcounts * v["counts"]
    drow_max = -dshifted.sum(axis=1, keepdims=True)
    dlogits = dshifted + (v["logits"] == v["row_max"]) * drow_max
    dh = dlogits @ v["W2"].T
    dW2 = v["h"].T @ dlogits
    db2 = dlogits.sum(axis=0, keepdims=True)
    dbn = dh * (1 - v["h"] ** 2)
    dgamma = (dbn * v["normed"]).sum(axis=0, keepdims=True)
    dbeta = dbn.sum(axis=0, keepdims=True)
    dnormed = dbn * v["gamma"]
    dinv_std = (dnormed * v["centered"]).sum(axis=0, keepdims=True)
    dvar = dinv_std * -0.5 * (v["var"] + EPS) ** -1.5
    dsq = np.ones_like(v["sq"]) * dvar / (n - 1)
    dcentered = dnormed * v["inv_std"] + 2 * v["centered"] * dsq
    dmu = -dcentered.sum(axis=0, keepdims=True)
    dpre = dcentered + np.ones_like(v["pre"]) * dmu / n
    dW1 = v["x"].T @ dpre
    db1 = dpre.sum(axis=0, keepdims=True)
    return {
        "picked": dpicked, "logp": dlogp, "probs": dprobs, "inv_total": dinv_total, "total": dtotal,
        "counts": dcounts, "shifted": dshifted, "row_max": drow_max, "logits": dlogits, "h": dh, "W2": dW2,
        "b2": db2, "bn": dbn, "gamma": dgamma, "beta": dbeta, "normed": dnormed, "inv_std": dinv_std,
        "var": dvar, "sq": dsq, "centered": dcentered, "mu": dmu, "pre": dpre, "W1": dW1, "b1": db1,
    }
