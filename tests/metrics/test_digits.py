"""Digit metrics: the classifier, the histogram step against a plain loop, and the
metrics on real, one-class, noisy and diverged samples."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import losslab.metrics.digits as digits_module
from losslab.metrics import (
    DIGIT_METRIC_NAMES,
    METRIC_INFO,
    class_histogram_metrics,
    classifier_accuracy,
    digit_classifier,
    digit_metrics,
    digit_probabilities,
)
from losslab.report.stats import direction

LOG10 = math.log(10)


@pytest.fixture(scope="module")
def real():
    bunch = load_digits()
    return bunch.data / 8.0 - 1.0, bunch.target


@pytest.fixture(scope="module")
def held_out(real):
    """The quarter the classifier never saw (same split, rebuilt here)."""
    _, x_test, _, y_test = train_test_split(
        real[0], real[1], test_size=0.25, stratify=real[1], random_state=0
    )
    return x_test, y_test


def loop_metrics(probabilities, confidence, classes=None):
    """The definitions, one sample and one class at a time."""
    n, c = len(probabilities), len(probabilities[0])
    targets = sorted(set(range(c) if classes is None else classes))
    counts = {k: 0 for k in targets}
    for row in probabilities:
        best = 0
        for j in range(c):
            if row[j] > row[best]:
                best = j
        if row[best] >= confidence and best in counts:
            counts[best] += 1
    total = sum(counts.values())
    k = len(targets)
    if total == 0:
        kl = math.log(k)
    else:
        kl = 0.0
        for count in counts.values():
            if count:
                p = count / total
                kl += p * math.log(p / (1.0 / k))
    return {
        "digit_modes": sum(1 for count in counts.values() if count),
        "digit_confident": total / n,
        "digit_reverse_kl": kl,
    }


def one_hot_rows(classes, peak):
    """Rows with ``peak`` on the given class and the rest spread evenly."""
    rows = np.full((len(classes), 10), (1.0 - peak) / 9)
    rows[np.arange(len(classes)), classes] = peak
    return rows


def test_classifier_is_accurate_on_the_held_out_quarter(held_out):
    accuracy = classifier_accuracy()
    assert accuracy >= 0.95
    x_test, y_test = held_out
    assert accuracy == pytest.approx(np.mean(digit_classifier().predict(x_test) == y_test))
    assert digit_classifier() is digit_classifier()  # fitted once


def test_histogram_metrics_on_a_constructed_histogram_by_hand():
    # confident: 5 of class 0, 3 of class 4, 2 of class 9; unconfident: 4 rows
    confident = one_hot_rows([0] * 5 + [4] * 3 + [9] * 2, peak=0.95)
    unsure = one_hot_rows([1, 2, 4, 7], peak=0.5)
    probabilities = np.concatenate([unsure[:2], confident, unsure[2:]])
    metrics = class_histogram_metrics(probabilities, confidence=0.9)
    p = [0.5, 0.3, 0.2]
    assert metrics["digit_modes"] == 3
    assert metrics["digit_confident"] == pytest.approx(10 / 14)
    assert metrics["digit_reverse_kl"] == pytest.approx(sum(q * math.log(10 * q) for q in p))


@pytest.mark.parametrize("classes", [None, [0, 3, 8], [5]])
@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.99])
def test_histogram_metrics_match_a_plain_loop(classes, confidence):
    rng = np.random.default_rng(11)
    # softmax of random logits: flat rows and sharp ones, some classes favoured
    scale = rng.choice([0.5, 3.0, 8.0], size=(400, 1))
    logits = scale * rng.normal(size=(400, 10)) + np.linspace(0.0, 2.0, 10)
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    got = class_histogram_metrics(probabilities, confidence, classes)
    want = loop_metrics(probabilities.tolist(), confidence, classes)
    assert got["digit_modes"] == want["digit_modes"]
    assert got["digit_confident"] == pytest.approx(want["digit_confident"], abs=1e-15)
    assert got["digit_reverse_kl"] == pytest.approx(want["digit_reverse_kl"], abs=1e-12)


def test_histogram_metrics_extremes():
    uniform = class_histogram_metrics(one_hot_rows(list(range(10)) * 3, peak=0.99))
    assert uniform == {"digit_modes": 10, "digit_confident": 1.0, "digit_reverse_kl": 0.0}
    collapsed = class_histogram_metrics(one_hot_rows([6] * 7, peak=0.99))
    assert collapsed["digit_modes"] == 1
    assert collapsed["digit_reverse_kl"] == pytest.approx(LOG10, abs=1e-12)
    # no confident sample: the value of total collapse, log K
    nothing = class_histogram_metrics(np.full((5, 10), 0.1))
    assert nothing == {"digit_modes": 0, "digit_confident": 0.0, "digit_reverse_kl": LOG10}
    subset = class_histogram_metrics(np.full((5, 10), 0.1), classes=[1, 2, 3])
    assert subset["digit_reverse_kl"] == pytest.approx(math.log(3))
    # confident samples outside the target classes do not count
    outside = class_histogram_metrics(one_hot_rows([1, 2, 9, 9], peak=0.99), classes=[1, 2])
    assert outside == {"digit_modes": 2, "digit_confident": 0.5, "digit_reverse_kl": 0.0}


@pytest.mark.parametrize(
    ("probabilities", "confidence", "classes", "match"),
    [
        (np.zeros((0, 10)), 0.9, None, "non-empty"),
        (np.full(10, 0.1), 0.9, None, "non-empty"),
        (np.full((2, 10), 0.1), 0.0, None, "confidence"),
        (np.full((2, 10), 0.1), 1.5, None, "confidence"),
        (np.full((2, 10), 0.1), 0.9, [10], "subset"),
        (np.full((2, 10), 0.1), 0.9, [], "subset"),
    ],
)
def test_histogram_metrics_reject_bad_input(probabilities, confidence, classes, match):
    with pytest.raises(ValueError, match=match):
        class_histogram_metrics(probabilities, confidence, classes)


def test_digit_metrics_pass_the_classifier_probabilities_to_the_histogram(monkeypatch):
    rows = one_hot_rows([2, 2, 5, 0], peak=0.97)
    rows[3] = one_hot_rows([0], peak=0.6)[0]
    monkeypatch.setattr(digits_module, "digit_probabilities", lambda samples: rows)
    metrics = digit_metrics(np.zeros((4, 64)), confidence=0.9)
    assert metrics == pytest.approx(loop_metrics(rows.tolist(), 0.9))
    assert metrics["digit_reverse_kl"] == pytest.approx(
        (2 / 3) * math.log(10 * 2 / 3) + (1 / 3) * math.log(10 / 3)
    )


def test_real_held_out_digits_cover_all_ten_classes(held_out):
    metrics = digit_metrics(held_out[0])
    assert set(metrics) == set(DIGIT_METRIC_NAMES)
    assert metrics["digit_modes"] == 10
    assert metrics["digit_confident"] > 0.7
    assert metrics["digit_reverse_kl"] < 0.05


@pytest.mark.parametrize("digit", range(10))
def test_one_class_only_is_one_mode_and_reverse_kl_log_10(real, digit):
    images, labels = real
    metrics = digit_metrics(images[labels == digit])
    assert metrics["digit_modes"] == 1
    assert metrics["digit_reverse_kl"] == pytest.approx(LOG10, abs=1e-9)
    assert metrics["digit_confident"] > 0.5


def test_uniform_noise_is_rarely_confident():
    noise = np.random.default_rng(0).uniform(-1.0, 1.0, size=(2000, 64))
    assert digit_metrics(noise)["digit_confident"] < 0.03


def test_image_shaped_samples_and_bad_shapes(held_out):
    x = held_out[0][:50]
    flat = digit_metrics(x)
    assert digit_metrics(x.reshape(50, 8, 8)) == flat
    assert digit_metrics(x.astype(np.float32)) == flat
    np.testing.assert_allclose(digit_probabilities(x).sum(1), 1.0)
    with pytest.raises(ValueError, match="64 pixels"):
        digit_metrics(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="at least one"):
        digit_metrics(np.zeros((0, 64)))


def test_diverged_samples_give_nan_everywhere(held_out):
    x = held_out[0][:20].copy()
    x[3, 7] = np.inf
    metrics = digit_metrics(x)
    assert set(metrics) == set(DIGIT_METRIC_NAMES)
    assert all(math.isnan(v) for v in metrics.values())


def test_metric_info_and_direction():
    for name in DIGIT_METRIC_NAMES:
        assert name in METRIC_INFO and "\n" not in METRIC_INFO[name]
    assert direction("digit_modes") == "max"
    assert direction("digit_confident") == "max"
    assert direction("digit_reverse_kl") == "min"
    assert direction("digit_modes @ digits-images") == "max"
