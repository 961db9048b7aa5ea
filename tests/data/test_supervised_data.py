"""Supervised datasets: splits are seeded, sized by the knobs alone, corrupted only
where promised (train/val), and each characteristic is really present."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from losslab.data import (
    CLASSIFICATION_DATASETS,
    DATASETS,
    REGRESSION_DATASETS,
    SupervisedDataset,
    make_dataset,
)
from losslab.errors import BadInput

ALL = CLASSIFICATION_DATASETS + REGRESSION_DATASETS
BUNDLED = {"digits": 1797, "iris": 150, "wine": 178, "diabetes": 442}


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def arrays(splits):
    return (
        splits.x_train,
        splits.y_train,
        splits.x_val,
        splits.y_val,
        splits.x_test,
        splits.y_test,
    )


@pytest.mark.parametrize("name", ALL)
def test_registered_with_task_shapes_and_dtypes(name):
    ds = make_dataset({"name": name})
    assert isinstance(ds, SupervisedDataset) and DATASETS[name] is type(ds)
    assert ds.task == ("classify" if name in CLASSIFICATION_DATASETS else "regress")
    s = ds.splits(rng())
    for x, y in ((s.x_train, s.y_train), (s.x_val, s.y_val), (s.x_test, s.y_test)):
        assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == ds.n_features
        assert y.shape == (x.shape[0],) and np.isfinite(x).all()
        assert y.dtype == (np.int64 if ds.task == "classify" else np.float32)
    n = sum(len(a) for a in (s.y_train, s.y_val, s.y_test))
    assert len(s.y_val) == pytest.approx(0.2 * n, abs=ds.n_classes if ds.task == "classify" else 1)
    assert len(s.y_test) == pytest.approx(0.2 * n, abs=ds.n_classes if ds.task == "classify" else 1)
    if name in BUNDLED:
        assert n == BUNDLED[name]
    if ds.task == "classify":
        for y in (s.y_train, s.y_val, s.y_test):
            assert set(np.unique(y)) <= set(range(ds.n_classes))
        assert set(np.unique(s.y_train)) == set(range(ds.n_classes))


@pytest.mark.parametrize("name", ALL)
def test_same_rng_same_splits_and_sizes_do_not_depend_on_the_seed(name):
    ds = make_dataset({"name": name})
    a, b, c = ds.splits(rng(3)), ds.splits(rng(3)), ds.splits(rng(4))
    for u, v in zip(arrays(a), arrays(b), strict=True):
        np.testing.assert_array_equal(u, v)
    assert [u.shape for u in arrays(a)] == [w.shape for w in arrays(c)]
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", ALL)
def test_sample_is_a_clear_error(name):
    with pytest.raises(BadInput, match="supervised"):
        make_dataset({"name": name}).sample(10, rng())


def test_knobs_are_validated():
    with pytest.raises(BadInput, match="flip_rate"):
        make_dataset({"name": "noisy-labels", "flip_rate": -0.1})
    with pytest.raises(BadInput, match="val_fraction"):
        make_dataset({"name": "blobs", "val_fraction": 0.5, "test_fraction": 0.4})
    with pytest.raises(BadInput, match="colour"):
        make_dataset({"name": "iris", "colour": "blue"})
    with pytest.raises(BadInput, match="ratio"):
        make_dataset({"name": "blobs-imbalanced", "ratio": 0.5})
    with pytest.raises(TypeError):
        make_dataset({"name": "outliers"}).n_classes  # noqa: B018


def test_blob_centres_are_separation_apart():
    for classes, features in ((3, 2), (5, 4), (4, 1)):
        ds = make_dataset({"name": "blobs", "classes": classes, "features": features})
        c = ds.centers()
        d = np.linalg.norm(c[:, None] - c[None], axis=-1)
        adjacent = [d[k, (k + 1) % classes] for k in range(classes - (features == 1))]
        np.testing.assert_allclose(adjacent, 5.0)
        assert d[~np.eye(classes, dtype=bool)].min() == pytest.approx(5.0)


def test_blobs_have_unit_variance_around_their_centres():
    ds = make_dataset({"name": "blobs", "n": 6000})
    x, y = ds.draw(rng())
    noise = x - ds.centers()[y]
    np.testing.assert_allclose(noise.std(axis=0), 1.0, atol=0.05)
    np.testing.assert_allclose(np.bincount(y), 2000)


def test_imbalanced_counts_follow_the_ratio_and_stratification_keeps_it():
    ds = make_dataset({"name": "blobs-imbalanced", "ratio": 10.0, "classes": 3, "n": 3000})
    counts = ds.class_counts()
    assert counts[0] / counts[-1] == pytest.approx(10.0, rel=0.02)
    assert counts[0] / counts[1] == pytest.approx(np.sqrt(10.0), rel=0.02)
    s = ds.splits(rng())
    for y in (s.y_train, s.y_val, s.y_test):
        share = np.bincount(y, minlength=3) / len(y)
        np.testing.assert_allclose(share, counts / counts.sum(), atol=0.01)


def test_label_noise_flips_train_and_val_only_to_a_different_class():
    noisy = make_dataset({"name": "noisy-labels", "flip_rate": 0.3, "n": 6000})
    clean = make_dataset({"name": "noisy-labels", "flip_rate": 0.0, "n": 6000})
    a, b = noisy.splits(rng(1)), clean.splits(rng(1))
    # the clean draw and split are made first, so x and the test labels are identical
    for u, v in zip(arrays(a), arrays(b), strict=True):
        assert u.shape == v.shape
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    for noisy_y, clean_y in ((a.y_train, b.y_train), (a.y_val, b.y_val)):
        flipped = noisy_y != clean_y
        assert flipped.mean() == pytest.approx(0.3, abs=0.03)
        # symmetric noise: each wrong class equally likely
        shift = (noisy_y[flipped] - clean_y[flipped]) % 3
        assert set(np.unique(shift)) == {1, 2}
        assert np.mean(shift == 1) == pytest.approx(0.5, abs=0.06)


def test_outliers_hit_train_and_val_targets_only():
    dirty = make_dataset({"name": "outliers", "fraction": 0.1, "scale": 10.0, "n": 5000})
    clean = make_dataset({"name": "outliers", "fraction": 0.0, "n": 5000})
    a, b = dirty.splits(rng(2)), clean.splits(rng(2))
    np.testing.assert_array_equal(a.y_test, b.y_test)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    for dirty_y, clean_y in ((a.y_train, b.y_train), (a.y_val, b.y_val)):
        hit = dirty_y != clean_y
        assert hit.mean() == pytest.approx(0.1, abs=0.025)
        assert np.std(dirty_y[hit] - clean_y[hit]) == pytest.approx(10.0, rel=0.15)


def test_linear_gaussian_noise_is_what_the_knob_says():
    ds = make_dataset({"name": "linear-gaussian", "n": 20000, "noise": 0.5})
    x, y = ds.draw(rng())
    residual = y - x @ ds.weights()
    assert np.linalg.norm(ds.weights()) == pytest.approx(1.0)
    assert residual.std() == pytest.approx(0.5, rel=0.03)
    assert abs(stats.kurtosis(residual)) < 0.2


def test_student_t_noise_has_heavy_tails():
    ds = make_dataset({"name": "student-t-noise", "n": 20000, "df": 3.0})
    x, y = ds.draw(rng())
    residual = y - x @ ds.weights()
    assert stats.kurtosis(residual) > 3.0  # Gaussian: 0


def test_heteroscedastic_noise_grows_with_x0():
    ds = make_dataset({"name": "heteroscedastic", "n": 20000})
    x, y = ds.draw(rng())
    residual = y - x @ ds.weights()
    near, far = np.abs(x[:, 0]) < 0.3, np.abs(x[:, 0]) > 1.5
    assert residual[near].std() < 0.35 and residual[far].std() > 1.6  # 1.0 * (0.1 + |x0|)


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "diabetes"])
def test_bundled_sets_are_standardised_with_training_statistics(name):
    ds = make_dataset({"name": name})
    s = ds.splits(rng())
    mean, std = s.x_train.mean(0), s.x_train.std(0)
    varying = std > 0
    np.testing.assert_allclose(mean, 0.0, atol=1e-5)
    np.testing.assert_allclose(std[varying], 1.0, rtol=1e-4)
    assert abs(s.x_test.mean()) > 1e-4  # test statistics were not used
    if name == "diabetes":
        assert s.y_train.mean() == pytest.approx(0.0, abs=1e-5)
        assert s.y_train.std() == pytest.approx(1.0, rel=1e-4)


def test_iris_splits_are_a_partition_of_the_bundled_data():
    from sklearn.datasets import load_iris

    bunch = load_iris()
    s = make_dataset({"name": "iris"}).splits(rng(5))
    x = np.concatenate([s.x_train, s.x_val, s.x_test]).astype(np.float64)
    y = np.concatenate([s.y_train, s.y_val, s.y_test])

    # Standardisation is a per-column affine map, so re-standardising the union with its
    # own statistics must give the raw data standardised the same way, row for row.
    def canonical(a, labels):
        z = np.column_stack([(a - a.mean(0)) / a.std(0), labels])
        return z[np.lexsort(z.T[::-1])]

    np.testing.assert_allclose(
        canonical(x, y), canonical(bunch.data, bunch.target), rtol=1e-5, atol=1e-5
    )
