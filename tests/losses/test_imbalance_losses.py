"""logit-adjusted-ce, balanced-softmax and ldam against float64 formulas written from their
papers (plain loops over numpy), against F.cross_entropy where each reduces to it, and the
training-split priors against a count."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from losslab.losses import get_loss
from losslab.losses.classification import training_class_priors

S, B, K = 3, 9, 4


def data(seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(S, B, K, generator=g, dtype=torch.float64) * 2
    targets = torch.randint(0, K, (S, B), generator=g)
    priors = torch.rand(S, K, generator=g, dtype=torch.float64) + 0.05
    return logits, targets, priors / priors.sum(1, keepdim=True)


def ce(logits, targets):
    return F.cross_entropy(logits.transpose(1, 2), targets, reduction="none").mean(1)


def term(name):
    return get_loss(name).terms["loss"]


def loop(logits, targets, formula):
    z, y = logits.numpy(), targets.numpy()
    return torch.tensor(
        [np.mean([formula(s, z[s, b], int(y[s, b])) for b in range(z.shape[1])]) for s in range(S)]
    )


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
def test_logit_adjusted_ce_is_the_pairwise_margin_loss_of_menon_et_al(tau):
    logits, targets, priors = data()
    got = term("logit-adjusted-ce")(logits=logits, targets=targets, tau=tau, class_priors=priors)
    pi = priors.numpy()

    def formula(s, z, y):  # Menon et al. (2021), eq. 10: log(1 + sum (pi_k/pi_y)^tau e^{z_k-z_y})
        return math.log1p(
            sum((pi[s, k] / pi[s, y]) ** tau * math.exp(z[k] - z[y]) for k in range(K) if k != y)
        )

    torch.testing.assert_close(got, loop(logits, targets, formula), rtol=1e-12, atol=1e-12)


def test_logit_adjusted_at_tau_0_or_uniform_priors_is_cross_entropy():
    logits, targets, priors = data(1)
    fn = term("logit-adjusted-ce")
    torch.testing.assert_close(
        fn(logits=logits, targets=targets, tau=0.0, class_priors=priors), ce(logits, targets)
    )
    uniform = torch.full((S, K), 1.0 / K, dtype=torch.float64)
    torch.testing.assert_close(
        fn(logits=logits, targets=targets, tau=1.0, class_priors=uniform), ce(logits, targets)
    )
    torch.testing.assert_close(fn(logits=logits, targets=targets, tau=1.0), ce(logits, targets))


def test_balanced_softmax_weighs_the_softmax_by_the_priors():
    logits, targets, priors = data(2)
    got = term("balanced-softmax")(logits=logits, targets=targets, class_priors=priors)
    pi = priors.numpy()

    def formula(s, z, y):  # Ren et al. (2020), eq. 4 with n_k replaced by pi_k (n cancels)
        w = pi[s] * np.exp(z)
        return -math.log(w[y] / w.sum())

    torch.testing.assert_close(got, loop(logits, targets, formula), rtol=1e-12, atol=1e-12)
    adjusted = term("logit-adjusted-ce")(
        logits=logits, targets=targets, tau=1.0, class_priors=priors
    )
    torch.testing.assert_close(got, adjusted, rtol=1e-14, atol=0)
    uniform = torch.full((S, K), 1.0 / K, dtype=torch.float64)
    torch.testing.assert_close(
        term("balanced-softmax")(logits=logits, targets=targets, class_priors=uniform),
        ce(logits, targets),
    )


def test_a_class_absent_from_training_keeps_the_loss_finite():
    logits, targets, _ = data(3)
    priors = torch.tensor([[0.5, 0.5, 0.0, 0.0]] * S, dtype=torch.float32)
    for name in ("balanced-softmax", "ldam"):
        loss = get_loss(name).bind("loss", get_loss(name).hyperparameters())(
            logits=logits.float(), targets=targets, class_priors=priors
        )
        assert torch.isfinite(loss).all()


@pytest.mark.parametrize(("C", "s"), [(0.5, 30.0), (1.0, 1.0), (0.1, 5.0)])
def test_ldam_is_ce_of_scaled_logits_with_n_to_the_minus_quarter_margins(C, s):
    logits, targets, _ = data(4)
    counts = np.array([[500, 100, 20, 5], [10, 10, 10, 10], [7, 70, 700, 7000]], dtype=float)
    priors = torch.tensor(counts / counts.sum(1, keepdims=True))
    got = term("ldam")(logits=logits, targets=targets, max_margin=C, scale=s, class_priors=priors)

    def formula(m, z, y):  # Cao et al. (2019), eq. 13 and their code's normalisation max = C
        delta = 1 / counts[m] ** 0.25
        delta = delta * C / delta.max()
        shifted = z.copy()
        shifted[y] -= delta[y]
        num = math.exp(s * shifted[y])
        return -math.log(num / sum(math.exp(s * v) for v in shifted))

    torch.testing.assert_close(got, loop(logits, targets, formula), rtol=1e-10, atol=1e-12)


def test_ldam_without_margin_at_scale_1_is_cross_entropy():
    logits, targets, priors = data(5)
    got = term("ldam")(
        logits=logits, targets=targets, max_margin=0.0, scale=1.0, class_priors=priors
    )
    torch.testing.assert_close(got, ce(logits, targets))


def test_training_class_priors_are_the_class_frequencies_of_the_labels():
    y = np.array([0, 0, 0, 2, 2, 1, 0, 2])
    np.testing.assert_allclose(training_class_priors(y, 4), [4 / 8, 1 / 8, 3 / 8, 0.0])
    assert training_class_priors(y, 4).dtype == np.float32


def test_priors_of_the_wrong_shape_are_refused():
    logits, targets, priors = data(6)
    for name, knobs in (
        ("logit-adjusted-ce", {"tau": 1.0}),
        ("balanced-softmax", {}),
        ("ldam", {"max_margin": 0.5, "scale": 1.0}),
    ):
        with pytest.raises(ValueError, match="class_priors"):
            term(name)(logits=logits, targets=targets, class_priors=priors[:, :2], **knobs)


def test_ldam_drw_is_torch_weighted_cross_entropy_after_drw_start():
    """LDAM-DRW at margin 0 and scale 1: before drw_start the plain mean of CE; after it,
    torch's F.cross_entropy with weight w_k = K (1/pi_k) / sum_j (1/pi_j), the weighted
    mean Cao et al.'s code takes; per-member drw_start switches members one by one."""
    logits, targets, priors = data(6)
    knobs = {"logits": logits, "targets": targets, "max_margin": 0.0, "scale": 1.0,
             "class_priors": priors}
    before = term("ldam")(**knobs, drw_start=0.8, progress=0.5)
    torch.testing.assert_close(before, ce(logits, targets))
    after = term("ldam")(**knobs, drw_start=0.8, progress=0.8)
    for s in range(S):
        inv = 1 / priors[s]
        w = inv * K / inv.sum()
        ref = F.cross_entropy(logits[s], targets[s], weight=w)
        assert float(after[s]) == pytest.approx(float(ref), rel=1e-10)
    mixed = term("ldam")(**knobs, drw_start=torch.tensor([0.3, 0.9, 0.6][:S]), progress=0.7)
    for s, start in enumerate([0.3, 0.9, 0.6][:S]):
        expect = after[s] if 0.7 >= start else before[s]
        assert float(mixed[s]) == pytest.approx(float(expect), rel=1e-10)


def test_ldam_drw_switches_on_in_training_at_its_step():
    """Through the trainer: with drw_start = 0.5 the members' recorded loss changes
    definition at step steps/2 + 1 and not before (a plain-LDAM twin matches until then)."""
    from losslab.data import make_dataset
    from losslab.train.optim import OptimizerSettings
    from losslab.train.supervised import SupervisedMember, SupervisedTask, train_supervised

    def run(start):
        spec = get_loss("ldam")
        m = SupervisedMember(0, "ldam", "ldam", spec.hyperparameters({"drw_start": start}), 0,
                             OptimizerSettings("adam", 1e-3))
        task = SupervisedTask(
            study_seed=0, dataset=make_dataset({"name": "blobs-imbalanced", "ratio": 20}),
            hidden=(16,), activation="relu", batch_size=64, steps=40, eval_every=40,
            record_every=1, members=(m,),
        )
        return train_supervised(task)[0].series["loss"]

    drw, plain = run(0.5), run(1.0)
    np.testing.assert_allclose(drw[:20], plain[:20], rtol=1e-6)
    assert not np.allclose(drw[20], plain[20], rtol=1e-3)
