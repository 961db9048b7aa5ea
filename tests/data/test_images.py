"""The ``digits-images`` dataset: scaling, sampling from the real images only, seeding,
class subsets, caching, validation, and its extra (classifier) metrics."""

import numpy as np
import pytest
import sklearn.datasets
from pydantic import BaseModel
from scipy import stats

from losslab.data import DATASETS, DatasetConfig, DigitsImages, load_digit_images, make_dataset
from losslab.errors import BadInput


@pytest.fixture(scope="module")
def real():
    """The digits straight from scikit-learn, scaled by hand: (images [1797, 64], labels)."""
    bunch = sklearn.datasets.load_digits()
    return bunch.data / 8.0 - 1.0, bunch.target


def _row_index(images):
    """Map from the bytes of each row (as float32) to its row number."""
    return {row.astype(np.float32).tobytes(): i for i, row in enumerate(images)}


def test_registered_with_image_shape_and_no_mode_centres():
    dataset = make_dataset({"name": "digits-images"})
    assert DATASETS["digits-images"] is DigitsImages
    assert dataset.dim == 64
    assert DigitsImages.image_shape == (8, 8)
    assert dataset.mode_centers() is None and dataset.mode_std() is None
    line = dataset.describe()
    assert "digits-images" in line and "1797" in line and "\n" not in line


def test_loaded_images_are_the_scaled_sklearn_digits(real):
    images, labels = load_digit_images()
    assert images.shape == (1797, 64) and images.dtype == np.float32
    assert labels.shape == (1797,)
    np.testing.assert_array_equal(images, real[0].astype(np.float32))
    np.testing.assert_array_equal(labels, real[1])
    assert images.min() == -1.0 and images.max() == 1.0
    # 0..16 grey levels map to multiples of 1/8 in [-1, 1]
    np.testing.assert_array_equal(images * 8, np.round(images * 8))


def test_sample_shape_dtype_range_and_empty():
    dataset = make_dataset({"name": "digits-images"})
    samples = dataset.sample(300, np.random.default_rng(0))
    assert samples.shape == (300, 64) and samples.dtype == np.float32
    assert samples.min() >= -1.0 and samples.max() <= 1.0
    assert dataset.sample(0, np.random.default_rng(0)).shape == (0, 64)
    with pytest.raises(ValueError, match="non-negative integer"):
        dataset.sample(-1, np.random.default_rng(0))


def test_same_generator_state_same_samples_different_seed_different():
    dataset = make_dataset({"name": "digits-images"})
    a = dataset.sample(500, np.random.default_rng(123))
    b = dataset.sample(500, np.random.default_rng(123))
    c = dataset.sample(500, np.random.default_rng(124))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_samples_are_writable_copies_that_leave_the_cache_alone():
    dataset = make_dataset({"name": "digits-images"})
    samples = dataset.sample(10, np.random.default_rng(0))
    samples[:] = 5.0
    assert load_digit_images()[0].max() == 1.0


def test_every_sample_is_a_real_image_drawn_with_replacement(real):
    index = _row_index(real[0])
    samples = make_dataset({"name": "digits-images"}).sample(1797, np.random.default_rng(7))
    rows = [index.get(row.tobytes()) for row in samples]
    assert None not in rows
    # with replacement: 1797 uniform draws out of 1797 hit about 1 - 1/e = 63% distinct rows
    distinct = len(set(rows)) / 1797
    assert 0.58 < distinct < 0.68


def test_class_frequencies_match_the_data(real):
    images, labels = real
    index = _row_index(images)
    samples = make_dataset({"name": "digits-images"}).sample(30_000, np.random.default_rng(1))
    drawn = labels[[index[row.tobytes()] for row in samples]]
    observed = np.bincount(drawn, minlength=10)
    expected = np.bincount(labels, minlength=10) / len(labels) * len(samples)
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_digit_subset_draws_only_those_classes(real):
    images, labels = real
    index = _row_index(images)
    dataset = make_dataset({"name": "digits-images", "digits": [7, 2]})
    assert dataset.digits == (2, 7)
    assert len(dataset.images()) == int(np.sum((labels == 2) | (labels == 7)))
    samples = dataset.sample(2000, np.random.default_rng(3))
    drawn = labels[[index[row.tobytes()] for row in samples]]
    assert set(drawn) == {2, 7}
    assert "2,7" in dataset.describe()


def test_loaded_once_not_per_call(monkeypatch):
    dataset = make_dataset({"name": "digits-images", "digits": [0, 1, 5]})
    dataset.sample(5, np.random.default_rng(0))  # warm the caches

    def no_reload(*args, **kwargs):
        raise AssertionError("load_digits called again")

    monkeypatch.setattr(sklearn.datasets, "load_digits", no_reload)
    assert load_digit_images() is load_digit_images()
    for seed in range(3):
        dataset.sample(5, np.random.default_rng(seed))
    make_dataset({"name": "digits-images"}).sample(5, np.random.default_rng(0))


def test_frozen_hashable_and_usable_as_a_config_field():
    class Study(BaseModel):
        data: DatasetConfig

    study = Study.model_validate({"data": {"name": "digits-images", "digits": [4]}})
    assert isinstance(study.data, DigitsImages)
    assert study.data.digits == (4,)
    assert hash(study.data) == hash(make_dataset({"name": "digits-images", "digits": [4]}))
    with pytest.raises(Exception):  # noqa: B017 (pydantic's frozen-instance error)
        study.data.digits = (1,)


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ([10], "data.digits = [10]: every digit class must be in 0..9"),
        ([-1, 2], "data.digits = [-1, 2]: every digit class must be in 0..9"),
        ([], "data.digits = []: needs at least one digit class"),
        ([3, 3], "data.digits = [3, 3]: digit classes must be distinct"),
        ("3", "data.digits = '3': must be a list of distinct digit classes 0..9"),
    ],
)
def test_bad_digits_raise_one_line_bad_input(digits, expected):
    with pytest.raises(BadInput) as info:
        make_dataset({"name": "digits-images", "digits": digits})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(expected.split(":")[0])
    assert expected.split(": ", 1)[1] in message


def test_extra_metrics_of_real_samples_cover_the_dataset_classes():
    dataset = make_dataset({"name": "digits-images"})
    metrics = dataset.extra_metrics(dataset.sample(1000, np.random.default_rng(0)))
    assert set(metrics) == {"digit_modes", "digit_confident", "digit_reverse_kl"}
    assert metrics["digit_modes"] == 10
    assert metrics["digit_reverse_kl"] < 0.05

    subset = make_dataset({"name": "digits-images", "digits": [1, 3]})
    own = subset.extra_metrics(subset.sample(500, np.random.default_rng(0)))
    assert own["digit_modes"] == 2 and own["digit_reverse_kl"] < 0.05
    # all ten classes, scored against the subset: only the 1s and 3s count
    other = subset.extra_metrics(dataset.sample(1000, np.random.default_rng(0)))
    assert other["digit_modes"] == 2
    assert other["digit_confident"] < 0.3 < own["digit_confident"]
