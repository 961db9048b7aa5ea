"""losslab.loss / losslab.nn.Loss on plain batch tensors, against torch.nn.functional and
against the registered member-axis terms called by hand."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import losslab
from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.nn import Loss

B, C = 16, 5


def _grad(fn, *inputs):
    """Value and the gradients of ``fn(*inputs)`` w.r.t. every floating input."""
    leaves = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in inputs]
    value = fn(*leaves)
    wrt = [x for x in leaves if x.requires_grad]
    return value.detach(), torch.autograd.grad(value, wrt)


def _agree(ours, theirs, *inputs):
    v1, g1 = _grad(ours, *inputs)
    v2, g2 = _grad(theirs, *inputs)
    assert v1.shape == v2.shape == ()
    torch.testing.assert_close(v1, v2, atol=1e-6, rtol=1e-6)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)


def _logits_targets(seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(B, C, generator=g, dtype=torch.float64) * 2,
        torch.randint(0, C, (B,), generator=g),
    )


def _regression(seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(B, generator=g, dtype=torch.float64) * 2,
        torch.randn(B, generator=g, dtype=torch.float64) * 2,
    )


def test_import_losslab_stays_light():
    code = "import sys, losslab; losslab.loss; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_softmax_ce_is_cross_entropy():
    _agree(losslab.loss("softmax-ce"), F.cross_entropy, *_logits_targets())


@pytest.mark.parametrize("epsilon", [None, 0.0, 0.3])
def test_label_smoothing_ce_is_cross_entropy_with_label_smoothing(epsilon):
    knobs = {} if epsilon is None else {"epsilon": epsilon}
    fn = losslab.loss("label-smoothing-ce", **knobs)
    eps = fn.knobs["epsilon"]
    if epsilon is None:
        assert eps == get_loss("label-smoothing-ce").card.hyperparameters["epsilon"].default
    _agree(fn, lambda z, y: F.cross_entropy(z, y, label_smoothing=eps), *_logits_targets(1))


@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
def test_huber_is_huber_loss(delta):
    _agree(
        losslab.loss("huber", delta=delta),
        lambda p, t: F.huber_loss(p, t, delta=delta),
        *_regression(2),
    )


def test_huber_default_delta_comes_from_the_card():
    default = get_loss("huber").card.hyperparameters["delta"].default
    _agree(losslab.loss("huber"), lambda p, t: F.huber_loss(p, t, delta=default), *_regression())


def test_mse_and_mae_are_mse_loss_and_l1_loss():
    _agree(losslab.loss("mse"), F.mse_loss, *_regression(3))
    _agree(losslab.loss("mae"), F.l1_loss, *_regression(4))
    # [B, 1] predictions, as a network's last layer gives them
    p, t = _regression(5)
    _agree(losslab.loss("mse"), lambda a, b: F.mse_loss(a[:, 0], b), p.unsqueeze(1), t)


def test_gaussian_nll_is_gaussian_nll_loss_full():
    g = torch.Generator().manual_seed(6)
    prediction = torch.randn(B, 2, generator=g, dtype=torch.float64)
    target = torch.randn(B, generator=g, dtype=torch.float64)

    def theirs(p, t):
        return F.gaussian_nll_loss(p[:, 0], t, p[:, 1].exp(), full=True, eps=0.0)

    _agree(losslab.loss("gaussian-nll", beta=0.0), theirs, prediction, target)


def test_sigmoid_bce_is_binary_cross_entropy_with_logits():
    g = torch.Generator().manual_seed(7)
    z = torch.randn(B, generator=g, dtype=torch.float64) * 3
    y = torch.randint(0, 2, (B,), generator=g).double()
    _agree(losslab.loss("sigmoid-bce"), F.binary_cross_entropy_with_logits, z, y)
    _agree(
        losslab.loss("sigmoid-bce"),
        F.binary_cross_entropy_with_logits,
        z.unsqueeze(1),
        y.unsqueeze(1),
    )


def test_nn_module_wraps_the_functional_loss():
    criterion = Loss("huber", delta=0.5)
    assert isinstance(criterion, torch.nn.Module)
    assert list(criterion.parameters()) == []
    _agree(criterion, lambda p, t: F.huber_loss(p, t, delta=0.5), *_regression(8))
    assert "huber" in repr(criterion)


ADVERSARIAL = [s.name for s in losslab.losses.all_losses("adversarial") if s.name != "ebgan"]


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_terms_are_the_member_axis_terms(name):
    spec = get_loss(name)
    knobs = spec.hyperparameters()
    g = torch.Generator().manual_seed(9)
    real = torch.randn(B, generator=g, dtype=torch.float64) + 0.5
    fake = torch.randn(B, generator=g, dtype=torch.float64) - 0.5
    fn = losslab.loss(name)
    d_term, g_term = spec.terms["discriminator"], spec.terms["generator"]

    def by_hand(term, **scores):
        wanted = {k: v for k, v in knobs.items() if k in term.__code__.co_varnames}
        return term(**{k: v.unsqueeze(0) for k, v in scores.items()}, **wanted)[0]

    _agree(fn.discriminator, lambda r, f: by_hand(d_term, real_scores=r, fake_scores=f), real, fake)
    if "real_scores" in g_term.__code__.co_varnames:
        _agree(
            lambda f, r: fn.generator(f, real_scores=r),
            lambda f, r: by_hand(g_term, fake_scores=f, real_scores=r),
            fake,
            real,
        )
    else:
        _agree(fn.generator, lambda f: by_hand(g_term, fake_scores=f), fake)
        # [B, 1] critic outputs read the same
        _agree(fn.generator, lambda f: by_hand(g_term, fake_scores=f[:, 0]), fake.unsqueeze(1))


def test_lsgan_knobs_reach_the_terms():
    fn = losslab.loss("lsgan", a=-1.0, b=1.0, c=0.0)
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, -1.0])
    # 0.5 mean (r - 1)^2 + 0.5 mean (f + 1)^2, 0.5 mean f^2: plain arithmetic
    assert fn.discriminator(real, fake).item() == pytest.approx(0.5 * 2.0 + 0.5 * 0.5)
    assert fn.generator(fake).item() == pytest.approx(0.5 * 0.5)


def test_ebgan_generator_takes_codes():
    spec = get_loss("ebgan")
    knobs = spec.hyperparameters()
    g = torch.Generator().manual_seed(10)
    real_e, fake_e = torch.rand(B, generator=g), torch.rand(B, generator=g)
    codes = torch.randn(B, 4, generator=g)
    fn = losslab.loss("ebgan")
    by_hand = spec.bind("generator", knobs)(
        fake_scores=fake_e.unsqueeze(0), fake_codes=codes.unsqueeze(0)
    )[0]
    torch.testing.assert_close(fn.generator(fake_e, fake_codes=codes), by_hand)
    by_hand = spec.bind("discriminator", knobs)(
        real_scores=real_e.unsqueeze(0), fake_scores=fake_e.unsqueeze(0)
    )[0]
    torch.testing.assert_close(fn.discriminator(real_e, fake_e), by_hand)
    with pytest.raises(BadInput, match="needs fake_codes"):
        fn.generator(fake_e)


def test_wgan_gp_names_its_penalty():
    fn = losslab.loss("wgan-gp", gp_weight=5.0)
    assert fn.penalties == {"gradient-penalty": 5.0}


def test_energy_and_diffusion_terms():
    g = torch.Generator().manual_seed(11)
    x, y = torch.randn(B, 2, generator=g), torch.randn(B, 2, generator=g)
    # ddpm's denoising loss: the mean over the batch of the squared error summed or averaged
    # over dimensions, as the member-axis term does it
    spec = get_loss("ddpm-eps")
    by_hand = spec.bind("denoise", spec.hyperparameters())(
        prediction=x.unsqueeze(0), target=y.unsqueeze(0)
    )[0]
    torch.testing.assert_close(losslab.loss("ddpm-eps").denoise(x, y), by_hand)
    torch.testing.assert_close(losslab.loss("ddpm-eps")(x, y), by_hand)
    sigmas = torch.rand(B, generator=g) + 0.1
    plain = 0.5 * ((sigmas[:, None] * x + y) ** 2).sum(1).mean()  # DSM by hand
    torch.testing.assert_close(losslab.loss("dsm").score(x, y, sigmas), plain)
    e1, e2 = torch.randn(B, generator=g), torch.randn(B, generator=g)
    alpha = get_loss("contrastive-divergence").hyperparameters()["reg_weight"]
    plain = e1.mean() - e2.mean() + alpha * (e1.pow(2).mean() + e2.pow(2).mean())
    torch.testing.assert_close(losslab.loss("contrastive-divergence").energy(e1, e2), plain)


@pytest.mark.parametrize(
    ("make", "call", "names"),
    [
        (lambda: losslab.loss("huber", delta2=1.0), None, "delta2"),
        (lambda: losslab.loss("huber", delta="big"), None, "delta"),
        (lambda: losslab.loss("no-such-loss"), None, "no-such-loss"),
        (
            lambda: losslab.loss("softmax-ce"),
            lambda f: f(torch.randn(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0])),
            "target",
        ),
        (
            lambda: losslab.loss("softmax-ce"),
            lambda f: f(torch.randn(4, 3), torch.tensor([0, 1, 3, 1])),
            "class index 3",
        ),
        (
            lambda: losslab.loss("softmax-ce"),
            lambda f: f(torch.randn(4, 3), torch.tensor([0, 1, 2])),
            "target",
        ),
        (
            lambda: losslab.loss("softmax-ce"),
            lambda f: f(torch.randint(0, 3, (4, 3)), torch.tensor([0, 1, 2, 1])),
            "input",
        ),
        (lambda: losslab.loss("mse"), lambda f: f(torch.randn(4, 2), torch.randn(4)), "input"),
        (lambda: losslab.loss("mse"), lambda f: f(torch.randn(4), torch.randn(5)), "target"),
        (lambda: losslab.loss("mse"), lambda f: f([1.0, 2.0], torch.randn(2)), "input"),
        (
            lambda: losslab.loss("sigmoid-bce"),
            lambda f: f(torch.randn(4), torch.tensor([0.0, 1.0, 2.0, 1.0])),
            "target",
        ),
        (
            lambda: losslab.loss("hinge"),
            lambda f: f.discriminator(torch.randn(4, 3), torch.randn(4)),
            "real_scores",
        ),
        (lambda: losslab.loss("hinge"), lambda f: f(torch.randn(4)), "discriminator"),
        (lambda: losslab.loss("mse"), lambda f: f.generator(torch.randn(4)), "generator"),
        (
            lambda: losslab.loss("rsgan"),
            lambda f: f.generator(torch.randn(4)),
            "real_scores",
        ),
        (
            lambda: losslab.loss("class-weighted-ce"),
            lambda f: f(torch.randn(4, 3), torch.tensor([0, 1, 2, 1])),
            "class_weights",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_argument(make, call, names):
    with pytest.raises(BadInput) as info:
        fn = make()
        call(fn)
    message = str(info.value)
    assert names in message
    assert "\n" not in message


def test_class_statistics_pass_by_keyword():
    logits, targets = _logits_targets(12)
    weights = torch.rand(C, dtype=torch.float64) + 0.5
    _agree(
        lambda z, y: losslab.loss("class-weighted-ce")(z, y, class_weights=weights),
        lambda z, y: (F.cross_entropy(z, y, reduction="none") * weights[y]).mean(),
        logits,
        targets,
    )


def test_nn_module_has_the_named_terms():
    gan = Loss("lsgan", c=0.0)
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, -1.0])
    # 0.5 mean (r - 1)^2 + 0.5 mean f^2 and 0.5 mean f^2 (a = 0, b = 1, c = 0): by hand
    assert gan.discriminator(real, fake).item() == pytest.approx(0.5 * 2.0 + 0.5 * 0.5)
    assert gan.generator(fake).item() == pytest.approx(0.5 * 0.5)
    with pytest.raises(BadInput, match="no .denoise term"):
        gan.denoise(torch.randn(2, 2), torch.randn(2, 2))
