"""Member i of an ensemble behaves exactly like a plain nn.Sequential trained alone."""

import math

import pytest
import torch
from torch import nn

from losslab.nets import EnsembleMLP
from losslab.train.optim import EnsembleOptimizer, OptimizerSettings

SIZES = [3, 16, 8, 1]
SEEDS = [11, 12, 13, 14]


def plain_mlp(seed: int) -> nn.Sequential:
    """The twin of one member, built and initialised with torch's own modules."""
    gen = torch.Generator().manual_seed(seed)
    layers = []
    for a, b in zip(SIZES[:-1], SIZES[1:], strict=True):
        lin = nn.Linear(a, b)
        nn.init.kaiming_uniform_(lin.weight, a=math.sqrt(5), generator=gen)
        nn.init.uniform_(lin.bias, -1 / math.sqrt(a), 1 / math.sqrt(a), generator=gen)
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers[:-1])


def ensemble() -> EnsembleMLP:
    return EnsembleMLP(SIZES, "tanh", [torch.Generator().manual_seed(s) for s in SEEDS])


def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(len(SEEDS), 32, SIZES[0], generator=g)
    y = torch.randn(len(SEEDS), 32, 1, generator=g)
    return x, y


def test_forward_and_gradients_match_solo_sequential():
    ens = ensemble()
    x, y = batch(0)
    out = ens(x)
    loss = ((out - y) ** 2).mean(dim=(1, 2))  # one value per member
    grads = torch.autograd.grad(loss.sum(), ens.parameter_list())
    for i, seed in enumerate(SEEDS):
        solo = plain_mlp(seed)
        solo_out = solo(x[i])
        torch.testing.assert_close(out[i], solo_out, atol=1e-6, rtol=1e-5)
        solo_loss = ((solo_out - y[i]) ** 2).mean()
        solo_grads = torch.autograd.grad(solo_loss, list(solo.parameters()))
        for k, lin_grad in enumerate(solo_grads):
            ens_grad = grads[k][i]
            expected = lin_grad.T if k % 2 == 0 else lin_grad.unsqueeze(0)
            torch.testing.assert_close(ens_grad, expected, atol=1e-6, rtol=1e-5)


def trained_ensemble(settings, steps: int = 25) -> EnsembleMLP:
    """The ensemble after ``steps`` updates of the mean squared error, one setting per member."""
    ens = ensemble()
    opt = EnsembleOptimizer(ens.parameter_list(), settings)
    for t in range(steps):
        x, y = batch(t)
        loss = ((ens(x) - y) ** 2).mean(dim=(1, 2))
        opt.step(torch.autograd.grad(loss.sum(), ens.parameter_list()))
    return ens


def assert_member_matches_solo(ens, i: int, torch_opt_for, steps: int = 25) -> None:
    """Member ``i`` equals its plain twin trained alone by the torch optimiser
    ``torch_opt_for(parameters)`` on the same batches."""
    solo = plain_mlp(SEEDS[i])
    torch_opt = torch_opt_for(solo.parameters())
    for t in range(steps):
        x, y = batch(t)
        torch_opt.zero_grad()
        ((solo(x[i]) - y[i]) ** 2).mean().backward()
        torch_opt.step()
    for k, p in enumerate(solo.parameters()):
        expected = p.detach().T if k % 2 == 0 else p.detach().unsqueeze(0)
        torch.testing.assert_close(ens.parameter_list()[k][i], expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "settings,make_torch_opt",
    [
        (
            OptimizerSettings("adam", lr=1e-2, betas=(0.5, 0.9)),
            lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.5, 0.9)),
        ),
        (
            OptimizerSettings("rmsprop", lr=5e-3, alpha=0.99),
            lambda p: torch.optim.RMSprop(p, lr=5e-3, alpha=0.99),
        ),
    ],
)
def test_parameters_after_n_steps_match_solo_torch_optimizer(settings, make_torch_opt):
    ens = trained_ensemble([settings] * len(SEEDS))
    for i in range(len(SEEDS)):
        assert_member_matches_solo(ens, i, make_torch_opt)


def test_decoupled_weight_decay_is_adamw_per_member():
    """Adam with weight_decay = torch.optim.AdamW (Loshchilov & Hutter's decoupled form),
    each member with its own decay; a member at 0 is plain Adam."""
    decays = [0.0, 1e-3, 0.05, 0.3]
    settings = [OptimizerSettings("adam", lr=1e-2, betas=(0.5, 0.9), weight_decay=w)
                for w in decays]
    ens = trained_ensemble(settings)
    for i, w in enumerate(decays):
        assert_member_matches_solo(
            ens, i, lambda p, w=w: torch.optim.AdamW(p, lr=1e-2, betas=(0.5, 0.9), weight_decay=w)
        )


def test_decoupled_weight_decay_with_rmsprop_matches_a_plain_loop():
    """theta <- (1 - lr wd) theta, then RMSProp's step: written out by hand in float64."""
    lr, alpha, eps, wd = 5e-3, 0.99, 1e-8, 0.2
    ens = ensemble()
    settings = [OptimizerSettings("rmsprop", lr=lr, alpha=alpha, weight_decay=wd)] * 4
    opt = EnsembleOptimizer(ens.parameter_list(), settings)
    solo = plain_mlp(SEEDS[1])
    theta = [p.detach().double().clone().requires_grad_() for p in solo.parameters()]
    square = [torch.zeros_like(p) for p in theta]
    for t in range(15):
        x, y = batch(t)
        loss = ((ens(x) - y) ** 2).mean(dim=(1, 2))
        opt.step(torch.autograd.grad(loss.sum(), ens.parameter_list()))
        h = x[1].double()
        for j in range(0, len(theta), 2):
            h = h @ theta[j].T + theta[j + 1]
            if j + 2 < len(theta):
                h = torch.tanh(h)
        grads = torch.autograd.grad(((h - y[1].double()) ** 2).mean(), theta)
        with torch.no_grad():
            for p, g, v in zip(theta, grads, square, strict=True):
                p.mul_(1 - lr * wd)
                v.mul_(alpha).add_((1 - alpha) * g * g)
                p.sub_(lr * g / (v.sqrt() + eps))
    for k, p in enumerate(theta):
        expected = (p.detach().T if k % 2 == 0 else p.detach().unsqueeze(0)).float()
        torch.testing.assert_close(ens.parameter_list()[k][1], expected, atol=1e-5, rtol=1e-4)


def test_masked_member_is_not_decayed():
    ens = ensemble()
    settings = [OptimizerSettings("adam", lr=1e-2, weight_decay=0.5)] * 4
    opt = EnsembleOptimizer(ens.parameter_list(), settings)
    before = [p.detach().clone() for p in ens.parameter_list()]
    zero = [torch.zeros_like(p) for p in ens.parameter_list()]
    opt.step(zero, torch.tensor([True, False, True, True]))
    for p, b in zip(ens.parameter_list(), before, strict=True):
        assert torch.equal(p[1], b[1])  # masked: untouched
        # a zero gradient leaves only the decay: theta (1 - lr wd), in float32
        torch.testing.assert_close(p[0], b[0] * (1 - 1e-2 * 0.5), rtol=1e-6, atol=0)


def test_masked_member_keeps_parameters_and_state():
    ens = ensemble()
    opt = EnsembleOptimizer(ens.parameter_list(), [OptimizerSettings("adam", lr=1e-2)] * 4)
    before = [p.detach().clone() for p in ens.parameter_list()]
    x, y = batch(0)
    loss = ((ens(x) - y) ** 2).mean(dim=(1, 2))
    mask = torch.tensor([True, False, True, False])
    opt.step(torch.autograd.grad(loss.sum(), ens.parameter_list()), mask)
    for p, b in zip(ens.parameter_list(), before, strict=True):
        assert torch.equal(p[1], b[1]) and torch.equal(p[3], b[3])
        assert not torch.equal(p[0], b[0])
    assert opt.step_count.tolist() == [1, 0, 1, 0]
    assert all(torch.count_nonzero(m[1]) == 0 for m in opt.exp_avg)


def test_masked_steps_equal_fewer_steps():
    """A member masked on some steps ends where a solo run that skipped them ends."""
    settings = [OptimizerSettings("adam", lr=1e-2, betas=(0.5, 0.9))] * 4
    ens = ensemble()
    opt = EnsembleOptimizer(ens.parameter_list(), settings)
    solo = plain_mlp(SEEDS[2])
    torch_opt = torch.optim.Adam(solo.parameters(), lr=1e-2, betas=(0.5, 0.9))
    for t in range(12):
        x, y = batch(t)
        on = t % 3 == 0
        loss = ((ens(x) - y) ** 2).mean(dim=(1, 2))
        opt.step(
            torch.autograd.grad(loss.sum(), ens.parameter_list()),
            torch.tensor([True, True, on, True]),
        )
        if on:
            torch_opt.zero_grad()
            ((solo(x[2]) - y[2]) ** 2).mean().backward()
            torch_opt.step()
    for k, p in enumerate(solo.parameters()):
        expected = p.detach().T if k % 2 == 0 else p.detach().unsqueeze(0)
        torch.testing.assert_close(ens.parameter_list()[k][2], expected, atol=1e-5, rtol=1e-5)


def test_batch_norm_member_matches_torch_batchnorm1d():
    from losslab.nets import EnsembleBatchNorm

    bn = EnsembleBatchNorm(3, 5)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-1, 1)
    x = torch.randn(3, 40, 5, generator=torch.Generator().manual_seed(0)) * 3 + 1
    y = bn(x)
    for s in range(3):
        ref = nn.BatchNorm1d(5)
        with torch.no_grad():
            ref.weight.copy_(bn.weight[s, 0])
            ref.bias.copy_(bn.bias[s, 0])
        torch.testing.assert_close(y[s], ref(x[s]), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(bn.running_mean[s, 0], ref.running_mean)
        torch.testing.assert_close(bn.running_var[s, 0], ref.running_var)
        bn.eval()
        ref.eval()
        torch.testing.assert_close(bn(x)[s], ref(x[s]), atol=1e-5, rtol=1e-5)
        bn.train()


def test_maxout_is_the_max_over_pieces_per_unit():
    gens = [torch.Generator().manual_seed(s) for s in (1, 2)]
    net = EnsembleMLP([3, 4, 1], "relu", gens, maxout=3)
    x = torch.randn(2, 7, 3, generator=torch.Generator().manual_seed(9))
    out = net(x)
    first, last = net.layers
    for s in range(2):
        for b in range(7):
            pre = x[s, b] @ first.weight[s] + first.bias[s, 0]  # [4 * 3]
            hidden = torch.stack([max(pre[u * 3 : u * 3 + 3]) for u in range(4)])
            expected = hidden @ last.weight[s] + last.bias[s, 0]
            torch.testing.assert_close(out[s, b], expected, atol=1e-5, rtol=1e-5)


def test_normal_init_has_the_requested_spread_and_zero_bias():
    net = EnsembleMLP([200, 300, 1], "relu", [torch.Generator().manual_seed(0)],
                      init="normal", init_std=0.02)
    w = net.layers[0].weight[0]
    assert abs(w.std().item() - 0.02) < 0.001 and abs(w.mean().item()) < 0.001
    assert torch.count_nonzero(net.layers[0].bias) == 0


@pytest.mark.parametrize("width", [1, 2, 8, 9, 32])
def test_thin_and_wide_layers_match_a_float64_loop_forward_backward_and_on_a_slice(width):
    """Every width (a critic's 1-wide score, a 2-D sample, hidden layers) equals
    x_s W_s + b_s member by member, gradients included, on all members and on a slice."""
    from losslab.nets import EnsembleLinear

    torch.manual_seed(width)
    layer = EnsembleLinear(5, 7, width)
    with torch.no_grad():
        layer.weight.normal_()
        layer.bias.normal_()
    x = torch.randn(5, 11, 7, requires_grad=True)
    upstream = torch.randn(5, 11, width)
    for members in (None, slice(1, 4)):
        sl = members or slice(None)
        y = layer(x[sl], members)
        grads = torch.autograd.grad(y, (x, layer.weight, layer.bias), upstream[sl])
        w64, b64 = layer.weight.detach().double(), layer.bias.detach().double()
        for s in range(5)[sl]:
            xs, gs = x[s].detach().double(), upstream[s].double()
            expected = xs @ w64[s] + b64[s]  # the plain loop, float64
            torch.testing.assert_close(y[s - (sl.start or 0)].double(), expected,
                                       atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(grads[0][s].double(), gs @ w64[s].T, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(grads[1][s].double(), xs.T @ gs, atol=1e-4, rtol=1e-5)
            torch.testing.assert_close(grads[2][s, 0].double(), gs.sum(0), atol=1e-4, rtol=1e-5)
        outside = [s for s in range(5) if s not in range(5)[sl]]
        assert all(grads[1][s].abs().sum() == 0 for s in outside)
