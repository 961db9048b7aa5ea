"""DDPM schedules, forward process and ancestral sampler against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from losslab.sampling.diffusion import (
    alphas_bar,
    ancestral_sample,
    beta_schedule,
    prediction_target,
    q_sample,
    q_step,
    timestep_embedding,
    to_eps,
)

SCHEDULES = ("linear", "cosine")


def cosine_f(u: float, T: int, s: float = 0.008) -> float:
    """Nichol & Dhariwal's f(t) = cos^2(((t/T + s)/(1 + s)) * pi/2), written out."""
    return math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2


# --- schedules -----------------------------------------------------------------------------


def test_linear_schedule_at_1000_steps_is_ho_et_al():
    betas = beta_schedule("linear", 1000)
    assert betas.dtype == torch.float64
    np.testing.assert_allclose(betas.numpy(), np.linspace(1e-4, 0.02, 1000), rtol=0, atol=1e-15)


def test_linear_schedule_is_scaled_by_1000_over_T():
    for T in (50, 100, 250):
        expected = np.linspace(1e-4 * 1000 / T, 0.02 * 1000 / T, T)
        np.testing.assert_allclose(beta_schedule("linear", T).numpy(), expected, atol=1e-15)
        # the point of the scaling: almost no signal is left at the last step
        assert alphas_bar(beta_schedule("linear", T))[-1] < 1e-4
    assert beta_schedule("linear", 10).max() == pytest.approx(0.999)  # 0.02 * 100 clipped


@pytest.mark.parametrize("T", [10, 100, 1000])
def test_cosine_alphas_bar_is_f_over_f0(T):
    betas = beta_schedule("cosine", T)
    abar = alphas_bar(betas).tolist()
    f0 = cosine_f(0, T)
    # index t is Ho's step t + 1; only the last step reaches the 0.999 clip (f(T) = 0)
    for t in range(T - 1):
        assert abar[t] == pytest.approx(cosine_f(t + 1, T) / f0, rel=1e-12, abs=1e-300)
    assert 1 - cosine_f(T, T) / cosine_f(T - 1, T) > 0.999
    assert betas[-1].item() == 0.999
    assert abar[-1] == pytest.approx(abar[-2] * (1 - 0.999), rel=1e-12)
    assert (betas[:-1] < 0.999).all() and (betas > 0).all()


def test_unknown_schedule_raises():
    with pytest.raises(ValueError, match="quadratic"):
        beta_schedule("quadratic", 100)


def test_alphas_bar_is_a_running_product():
    betas = beta_schedule("cosine", 30)
    product, expected = 1.0, []
    for beta in betas.tolist():
        product *= 1 - beta
        expected.append(product)
    np.testing.assert_allclose(alphas_bar(betas).numpy(), expected, rtol=1e-14)


# --- the forward process -------------------------------------------------------------------


@pytest.mark.parametrize("kind", SCHEDULES)
@pytest.mark.parametrize("T", [100, 1000])
def test_closed_form_q_xt_given_x0_matches_iterating_one_step_exactly(kind, T):
    # x_t = c_t x0 + (Gaussian noise of variance v_t); one more step multiplies c by
    # sqrt(1 - beta) and gives v -> (1 - beta) v + beta.
    betas = beta_schedule(kind, T)
    abar = alphas_bar(betas).tolist()
    c, v = 1.0, 0.0
    for t, beta in enumerate(betas.tolist()):
        c *= math.sqrt(1 - beta)
        v = (1 - beta) * v + beta
        assert c == pytest.approx(math.sqrt(abar[t]), rel=1e-12, abs=1e-300)
        assert v == pytest.approx(1 - abar[t], rel=1e-12)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_closed_form_q_xt_given_x0_matches_iterating_one_step_by_monte_carlo(kind):
    T, n = 100, 40_000
    betas = beta_schedule(kind, T)
    abar = alphas_bar(betas)
    g = torch.Generator().manual_seed(3)
    x0 = torch.tensor([1.5, -0.7], dtype=torch.float64)
    x = x0.expand(1, n, 2).clone()
    checked = 0
    for t in range(T):
        x = q_step(x, t, torch.randn(1, n, 2, generator=g, dtype=torch.float64), betas)
        if t not in (0, 5, 30, 60, T - 1):
            continue
        mean, var = math.sqrt(abar[t]) * x0, 1 - abar[t].item()
        # standard errors of a sample mean and of a Gaussian sample variance
        se_mean, se_var = math.sqrt(var / n), var * math.sqrt(2 / (n - 1))
        sample_mean = x[0].mean(dim=0)
        sample_var = x[0].var(dim=0)
        assert torch.all((sample_mean - mean).abs() < 5 * se_mean), (t, sample_mean, mean)
        assert torch.all((sample_var - var).abs() < 5 * se_var), (t, sample_var, var)
        # and the closed form draws the same distribution in one go
        direct = q_sample(
            x0.expand(1, n, 2),
            torch.full((1, n), t),
            torch.randn(1, n, 2, generator=g, dtype=torch.float64),
            abar,
        )
        assert torch.all((direct[0].mean(dim=0) - mean).abs() < 5 * se_mean)
        assert torch.all((direct[0].var(dim=0) - var).abs() < 5 * se_var)
        checked += 1
    assert checked == 5


def test_q_sample_broadcasts_member_batch_timesteps_over_dimensions():
    abar = alphas_bar(beta_schedule("linear", 20))
    g = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(2, 3, 4, generator=g), torch.randn(2, 3, 4, generator=g)
    t = torch.tensor([[0, 7, 19], [3, 3, 12]])
    out = q_sample(x0, t, noise, abar)
    assert out.shape == (2, 3, 4) and out.dtype == torch.float32
    for s in range(2):
        for b in range(3):
            a = abar[t[s, b]].item()
            for j in range(4):
                want = math.sqrt(a) * x0[s, b, j].item() + math.sqrt(1 - a) * noise[s, b, j].item()
                assert out[s, b, j].item() == pytest.approx(want, rel=1e-6, abs=1e-6)
    # one timestep per member
    per_member = q_sample(x0, torch.tensor([[5], [9]]), noise, abar)
    assert torch.allclose(per_member[1], q_sample(x0[1:], 9, noise[1:], abar)[0])


@pytest.mark.parametrize("kind", ["eps", "x0", "v"])
def test_to_eps_inverts_prediction_target(kind):
    abar = alphas_bar(beta_schedule("cosine", 100))
    g = torch.Generator().manual_seed(1)
    x0 = torch.randn(3, 50, 2, generator=g, dtype=torch.float64)
    noise = torch.randn(3, 50, 2, generator=g, dtype=torch.float64)
    t = torch.randint(0, 100, (3, 50), generator=g)
    t[0, :2] = torch.tensor([0, 99])  # both ends of the schedule
    x_t = q_sample(x0, t, noise, abar)
    target = prediction_target(kind, x0, noise, t, abar)
    torch.testing.assert_close(to_eps(kind, target, x_t, t, abar), noise, rtol=1e-9, atol=1e-9)


def test_v_target_written_out():
    abar = alphas_bar(beta_schedule("linear", 10))
    x0, noise, t = torch.tensor([[[2.0]]]), torch.tensor([[[-1.0]]]), torch.tensor([[4]])
    a = abar[4].item()
    want = math.sqrt(a) * -1.0 - math.sqrt(1 - a) * 2.0
    assert prediction_target("v", x0, noise, t, abar).item() == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError, match="score"):
        prediction_target("score", x0, noise, t, abar)


# --- timestep embedding ----------------------------------------------------------------------


def test_timestep_embedding_against_a_plain_loop():
    dim = 8
    times = [[0.0, 1.0, 17.0], [99.0, 0.25, -3.5]]
    emb = timestep_embedding(torch.tensor(times, dtype=torch.float64), dim)
    assert emb.shape == (2, 3, dim) and emb.dtype == torch.float64
    half = dim // 2
    for i, row in enumerate(times):
        for j, t in enumerate(row):
            for k in range(half):
                omega = 10000 ** (-k / half)
                assert emb[i, j, k].item() == pytest.approx(math.sin(t * omega), abs=1e-12)
                assert emb[i, j, half + k].item() == pytest.approx(math.cos(t * omega), abs=1e-12)
    # integer timesteps come back in the default float dtype
    ints = timestep_embedding(torch.tensor([3, 4]), 6)
    assert ints.dtype == torch.float32 and ints.shape == (2, 6)
    with pytest.raises(ValueError):
        timestep_embedding(torch.tensor([1.0]), 7)


# --- the ancestral sampler ---------------------------------------------------------------------


def exact_gaussian_model(kind: str, abar: torch.Tensor, m: float, s: float):
    """The exact minimiser of each denoising loss for 1-D data N(m, s^2).

    x_t = a x0 + sigma eps with a = sqrt(abar_t), sigma = sqrt(1 - abar_t) is jointly Gaussian
    with x0 and eps, so E[eps | x_t] = sigma (x_t - a m) / (a^2 s^2 + sigma^2) and
    E[x0 | x_t] = m + a s^2 (x_t - a m) / (a^2 s^2 + sigma^2); E[v | x_t] = a E[eps] - sigma E[x0].
    """

    def model(x: torch.Tensor, t: int) -> torch.Tensor:
        assert isinstance(t, int)
        a, sigma = math.sqrt(abar[t].item()), math.sqrt(1 - abar[t].item())
        var = a * a * s * s + sigma * sigma
        eps = sigma * (x - a * m) / var
        x0 = m + a * s * s * (x - a * m) / var
        return {"eps": eps, "x0": x0, "v": a * eps - sigma * x0}[kind]

    return model


def sampler_output_moments(betas: torch.Tensor, m: float, s: float) -> tuple[float, float]:
    """Exact mean and std of the sampler's x_0 under the exact predictor, by recursion.

    Every step is affine in x_t plus independent Gaussian noise:
    x_{t-1} = A x_t + B + sqrt(beta) z, so mean -> A mean + B, var -> A^2 var + beta.
    """
    abar, mean, var = 1.0, 0.0, 1.0
    abars = []
    for beta in betas.tolist():
        abar *= 1 - beta
        abars.append(abar)
    for t in reversed(range(len(abars))):
        a, beta = abars[t], betas[t].item()
        c = math.sqrt(1 - a) / (a * s * s + 1 - a)  # eps_hat = c (x - sqrt(a) m)
        slope = beta / math.sqrt(1 - a) * c
        A = (1 - slope) / math.sqrt(1 - beta)
        B = slope * math.sqrt(a) * m / math.sqrt(1 - beta)
        mean, var = A * mean + B, A * A * var + (beta if t > 0 else 0.0)
    return mean, math.sqrt(var)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_ancestral_sampling_with_the_exact_predictor_recovers_the_gaussian(schedule):
    T, n, m, s = 100, 40_000, 1.5, 0.5
    betas = beta_schedule(schedule, T)
    abar = alphas_bar(betas)
    gens = [torch.Generator().manual_seed(20)]
    x = ancestral_sample(exact_gaussian_model("eps", abar, m, s), (1, n, 1), "eps", betas, gens)
    assert x.shape == (1, n, 1) and x.dtype == torch.float32
    # Tolerance. With T = 100 steps and sigma_t^2 = beta_t the sampler is not exact: its output
    # is Gaussian with the moments of the recursion above, within 2% of (m, s) ...
    exact_mean, exact_std = sampler_output_moments(betas, m, s)
    assert abs(exact_mean - m) < 1e-3 * s
    assert abs(exact_std - s) < 0.02 * s
    # ... and the Monte Carlo estimates must lie within 4 standard errors of those moments
    # (sd of a sample mean s/sqrt(n); of a Gaussian sample sd about s/sqrt(2n)).
    sample = x.double().flatten()
    se_mean, se_std = exact_std / math.sqrt(n), exact_std / math.sqrt(2 * n)
    assert abs(sample.mean().item() - exact_mean) < 4 * se_mean
    assert abs(sample.std().item() - exact_std) < 4 * se_std
    # hence N(m, s^2) is recovered to within the discretisation bias plus sampling error
    assert abs(sample.mean().item() - m) < 4 * se_mean + 1e-3 * s
    assert abs(sample.std().item() - s) < 4 * se_std + 0.02 * s


@pytest.mark.parametrize("kind", ["x0", "v"])
def test_every_parameterisation_of_the_exact_predictor_samples_the_same_points(kind):
    T, m, s = 50, -0.5, 2.0
    betas = beta_schedule("cosine", T)
    abar = alphas_bar(betas)
    runs = {
        k: ancestral_sample(
            exact_gaussian_model(k, abar, m, s),
            (2, 500, 1),
            k,
            betas,
            [torch.Generator().manual_seed(4), torch.Generator().manual_seed(5)],
        )
        for k in ("eps", kind)
    }
    torch.testing.assert_close(runs[kind], runs["eps"], rtol=1e-4, atol=1e-4)


def test_member_of_an_ensemble_reproduces_its_solo_run():
    betas = beta_schedule("linear", 40)
    model = exact_gaussian_model("v", alphas_bar(betas), 0.3, 1.2)
    pair = ancestral_sample(
        model,
        (2, 64, 3),
        "v",
        betas,
        [torch.Generator().manual_seed(11), torch.Generator().manual_seed(12)],
    )
    solo = ancestral_sample(model, (1, 64, 3), "v", betas, [torch.Generator().manual_seed(12)])
    assert torch.equal(pair[1], solo[0])
    assert not torch.equal(pair[0], pair[1])


def test_sampler_runs_without_autograd_and_checks_its_generators():
    betas = beta_schedule("linear", 5)
    weight = torch.ones(1, requires_grad=True)

    def model(x, t):
        return weight * x

    out = ancestral_sample(model, (1, 4, 2), "eps", betas, [torch.Generator().manual_seed(0)])
    assert not out.requires_grad
    with pytest.raises(ValueError, match="generator"):
        ancestral_sample(model, (2, 4, 2), "eps", betas, [torch.Generator()])
