"""checks.layouts and the checker on row-layout numpy code as public tutorials write it (CS231n's two-layer net)."""

import numpy as np
import pytest

from checks import gradcheck
from checks.layouts import bias_shape_note, infer_layout

N, D, H, C = 5, 4, 10, 3


@pytest.mark.parametrize("shapes, kind, names", [
    ([(4, 10), (10,), (10, 3), (3,)], "rows", ("W1", "b1", "W2", "b2")),
    ([(4, 10), (1, 10), (10, 3), (1, 3)], "rows", ("W1", "b1", "W2", "b2")),
    ([(10, 4), (10, 1), (3, 10), (3, 1)], "columns", ("W1", "b1", "W2", "b2")),
    ([(5, 5), (5,)], "columns or rows", ("W1", "b1")),
    ([(5, 10), (11, 3)], "folded", ("W1", "W2")),
    ([(10, 5), (3, 11)], "folded", ("W1", "W2")),
    ([(4, 10), (7,)], "unknown", ("params[0]", "params[1]")),
    ([(5, 10), (5, 3)], "unknown", ("params[0]", "params[1]")),
])
def test_layouts_are_recognized_and_named(shapes, kind, names):
    layout = infer_layout(shapes)
    assert (layout.kind, layout.names) == (kind, names)


def test_only_gradients_that_broadcast_to_the_parameter_get_a_note():
    assert bias_shape_note("b1", (10,), (1, 10)) == (
        "grad for b1 has shape (10,) and b1 has shape (1, 10): the same 10 entries (p -= lr * g broadcasts the same), "
        "compared as such")
    assert bias_shape_note("b2", (), (10, 1)) == (
        "grad for b2 has shape () and b2 has shape (10, 1): compared broadcast to (10, 1), as p -= lr * g uses it "
        "(1 value for 10 entries)")
    assert bias_shape_note("b1", (10,), (10, 1)) is None  # b - lr * g would broadcast to (10, 10)
    assert bias_shape_note("b1", (10,), (10,)) is None
    assert bias_shape_note("W1", (3, 2), (2, 3)) is None


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((N, D)), rng.integers(C, size=N)
    params = [1e-1 * rng.standard_normal((D, H)), 1e-1 * rng.standard_normal(H),
              1e-1 * rng.standard_normal((H, C)), 1e-1 * rng.standard_normal(C)]
    return X, y, params


def _forward(params, X):
    W1, b1, W2, b2 = params
    hidden = np.maximum(0, X @ W1 + b1)
    scores = hidden @ W2 + b2
    return hidden, scores


def _loss(params, X, y, reg):
    hidden, scores = _forward(params, X)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[range(N), y].mean() + reg * (np.sum(params[0] ** 2) + np.sum(params[2] ** 2))


def _grad(params, X, y, reg, mutant=None):
    """CS231n's backward pass: probs[range(N), y] -= 1, then the chain rule in row layout."""
    W1, b1, W2, b2 = params
    hidden, scores = _forward(params, X)
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dscores = probs.copy()
    dscores[range(N), y] -= 1
    if mutant != "no-mean":
        dscores /= N
    dW2 = hidden.T @ dscores + 2 * reg * W2
    db2 = dscores.sum(axis=0) * (2.0 if mutant == "db2-doubled" else 1.0)
    dhidden = dscores @ W2.T
    if mutant != "no-relu-mask":
        dhidden[hidden <= 0] = 0
    dW1 = X.T @ dhidden + 2 * reg * W1
    db1 = dhidden.sum(axis=0)
    if mutant == "dW2-transposed":
        dW2 = dW2.T
    return [dW1, db1, dW2, db2]


def _check(mutant=None, reg=0.0, **options):
    X, y, params = _data()
    return gradcheck(lambda p: _loss(p, X, y, reg), lambda p: _grad(p, X, y, reg, mutant), params, **options)


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("reg", [0.0, 1e-3])
def test_the_tutorial_gradient_passes_with_its_tensors_named(mode, reg):
    report = _check(reg=reg, mode=mode)
    assert report.passed and report.ids == ()
    assert [t.name for t in report.tensors] == ["W1", "b1", "W2", "b2"]


def test_forgetting_the_mean_is_the_batch_size():
    report = _check("no-mean", batch_size=N)
    assert not report.passed and report.ids == ("scale",)
    assert report.mistakes[0].message == "every tensor: off by a constant factor of 5 (the batch size)"


def test_a_missing_relu_mask_points_at_the_hidden_layer():
    report = _check("no-relu-mask")
    assert [t.name for t in report.tensors if not t.passed] == ["W1", "b1"]
    assert report.notes[-1] == ("W1 and b1 are wrong and W2 and b2 are right: the error enters when backpropagating "
                                "into layer 1 (its activation derivative or the transposed weights); "
                                "checks.check_hidden_delta tests a hidden-layer delta function")


def test_a_wrong_output_bias_alone_does_not_blame_the_delta():
    report = _check("db2-doubled")
    assert [t.name for t in report.tensors if not t.passed] == ["b2"]
    assert report.notes[-1] == ("b2 is wrong and W2 is right, so the output delta is right (both are built from it): "
                                "the mistake is in b2's own gradient")
    assert not any("check_delta" in note for note in report.notes)


def test_a_transposed_weight_gradient_headlines_the_shape():
    report = _check("dW2-transposed")
    assert not report.passed and report.ids == ("transpose",)
    assert str(report).splitlines()[0].startswith(
        "gradient check: FAILED  grad returned W2 with the shape reversed; compared transposed back: normwise "
        "relative error ")


def test_a_1_h_bias_with_an_h_gradient_is_compared_with_a_note():
    X, y, params = _data()
    params = [params[0], params[1].reshape(1, H), params[2], params[3].reshape(1, C)]
    report = gradcheck(lambda p: _loss(p, X, y, 0.0), lambda p: _grad(p, X, y, 0.0), params)
    assert report.passed
    assert sum("compared as such" in note for note in report.notes) == 2


def test_a_complex_gradient_is_refused():
    X, y, params = _data()
    with pytest.raises(ValueError, match=r"^grad\(params\) for W1 is a complex array \(complex128\); the gradient of a real loss is real"):
        gradcheck(lambda p: _loss(p, X, y, 0.0), lambda p: [g + 0j for g in _grad(p, X, y, 0.0)], params)


CS231N_FILE = '''
import numpy as np

rng = np.random.default_rng(0)
X, y = rng.standard_normal((5, 4)), rng.integers(3, size=5)
params = [0.1 * rng.standard_normal((4, 10)), np.zeros(10), 0.1 * rng.standard_normal((10, 3)), np.zeros(3)]


def loss(p):
    h = np.maximum(0, X @ p[0] + p[1])
    s = h @ p[2] + p[3]
    s = s - s.max(axis=1, keepdims=True)
    return -(s[range(5), y] - np.log(np.exp(s).sum(axis=1))).mean()


def grad(p):
    h = np.maximum(0, X @ p[0] + p[1])
    s = h @ p[2] + p[3]
    probs = np.exp(s - s.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[range(5), y] -= 1
    d = probs / 5 * SCALE
    dh = d @ p[2].T
    dh[h <= 0] = 0
    return [X.T @ dh, dh.sum(axis=0), h.T @ d, d.sum(axis=0)]
'''


@pytest.mark.parametrize("scale, code", [("1", 0), ("5", 1)])
def test_gradcheck_json_is_the_contract(tmp_path, cli, scale, code):
    """A real run: the person's file runs in a child process, whose prints go to the real stderr."""
    import json

    path = tmp_path / "two_layer.py"
    path.write_text(CS231N_FILE.replace("SCALE", scale) + "\nprint('loaded the data')\n")
    printed = cli("gradcheck", str(path), "--format", "json", "--batch-size", "5")
    assert printed.returncode == code
    assert printed.stderr == "loaded the data\n"  # the person's prints stay off the document
    document = json.loads(printed.stdout)
    assert set(document) == {"passed", "verdict", "error", "tensors", "mistakes"} and document["passed"] is (code == 0)
    assert [(t["name"], t["shape"]) for t in document["tensors"]] == [
        ("W1", [4, 10]), ("b1", [10]), ("W2", [10, 3]), ("b2", [3])]
    assert all(set(t) == {"name", "shape", "error", "passed", "where"} for t in document["tensors"])
    expected = [] if code == 0 else [{"id": "scale",
                                      "message": "every tensor: off by a constant factor of 5 (the batch size)"}]
    assert document["mistakes"] == expected


def _folded_problem(mutant=None):
    """Biases folded into the weights (a column of ones appended to each layer's input), sigmoid hidden layer,
    mean squared error, one example per row: the shape of many from-scratch tutorials."""
    rng = np.random.default_rng(1)
    X, T = rng.standard_normal((6, 3)), rng.random((6, 2))
    params = [0.5 * rng.standard_normal((4, 5)), 0.5 * rng.standard_normal((6, 2))]

    def ones(A):
        return np.hstack([A, np.ones((A.shape[0], 1))])

    def forward(p):
        hidden = 1 / (1 + np.exp(-ones(X) @ p[0]))
        return hidden, ones(hidden) @ p[1]

    def loss(p):
        return 0.5 * np.sum((forward(p)[1] - T) ** 2) / len(X)

    def grad(p):
        hidden, out = forward(p)
        d_out = (out - T) / len(X)
        d_hidden = (d_out @ p[1][:-1].T) * hidden * (1 - hidden)
        if mutant == "sigma-of-activation":
            s = 1 / (1 + np.exp(-hidden))
            d_hidden = (d_out @ p[1][:-1].T) * s * (1 - s)
        d_w2 = ones(hidden).T @ d_out
        return [ones(X).T @ d_hidden, 2 * d_w2 if mutant == "doubled-output" else d_w2]

    return loss, grad, params


@pytest.mark.parametrize("mutant, wrong, hint", [
    (None, [], None),
    ("sigma-of-activation", ["W1"], "W1 is wrong and W2 is right: the error enters when backpropagating into layer 1"),
    ("doubled-output", ["W2"], "W2 is wrong but the layers below, which backpropagate the same output delta, are "
                               "right"),
])
def test_folded_biases_are_named_and_hinted(mutant, wrong, hint):
    report = gradcheck(*_folded_problem(mutant))
    assert [t.name for t in report.tensors] == ["W1", "W2"]
    assert [t.name for t in report.tensors if not t.passed] == wrong
    assert (hint is None and report.passed) or report.notes[-1].startswith(hint)


def test_a_bias_gradient_summed_over_every_axis_is_wrong_not_refused():
    """A well-known from-scratch MNIST tutorial writes db2 = 1/m * np.sum(dZ2): one number for every bias entry."""
    rng = np.random.default_rng(3)
    X, Y = rng.random((4, 6)), np.eye(3)[:, rng.integers(3, size=6)]
    params = [rng.normal(size=(5, 4)), rng.normal(size=(5, 1)), rng.normal(size=(3, 5)), rng.normal(size=(3, 1))]

    def forward(p):
        A1 = np.maximum(p[0] @ X + p[1], 0)
        Z2 = p[2] @ A1 + p[3]
        e = np.exp(Z2 - Z2.real.max(axis=0))
        return A1, e / e.sum(axis=0)

    def loss(p):
        return -np.sum(Y * np.log(forward(p)[1])) / 6

    def grad(p, summed_everything=False):
        A1, A2 = forward(p)
        dZ2 = A2 - Y
        dZ1 = (p[2].T @ dZ2) * (A1 > 0)
        db2 = np.sum(dZ2) / 6 if summed_everything else np.sum(dZ2, axis=1, keepdims=True) / 6
        return [dZ1 @ X.T / 6, np.sum(dZ1, axis=1, keepdims=True) / 6, dZ2 @ A1.T / 6, db2]

    assert gradcheck(loss, grad, params).passed
    report = gradcheck(loss, lambda p: grad(p, summed_everything=True), params)
    assert [t.name for t in report.tensors if not t.passed] == ["b2"]
    assert report.notes[-2:] == (
        "grad for b2 has shape () and b2 has shape (3, 1): compared broadcast to (3, 1), as p -= lr * g uses it "
        "(1 value for 3 entries)",
        "b2 is wrong and W2 is right, so the output delta is right (both are built from it): the mistake is in "
        "b2's own gradient")


def test_a_gradient_with_another_number_of_entries_stays_a_shape_error():
    assert bias_shape_note("W1", (4, 1), (4, 3)) is None
