r"""What the three f-GAN cards share (Nowozin, Cseke, Tomioka 2016): the reference, the
variational (Fenchel) bound they all start from, and the optimiser.

For a convex :math:`f` with :math:`f(1)=0` and its Fenchel conjugate :math:`f^*`,

.. math::

    D_f(P\|Q) = \int q\, f\!\left(\tfrac{p}{q}\right) dx
    \;\ge\; \sup_T\; \mathbb{E}_P[T(x)] - \mathbb{E}_Q[f^*(T(x))],

with equality at :math:`T^*(x) = f'(p(x)/q(x))`. The critic outputs a raw score :math:`V`,
mapped into the domain of :math:`f^*` by the output activation :math:`T = g_f(V)` (the
paper's Table 2). P is the data, Q the generator.
"""

from __future__ import annotations

from losslab.losses.registry import OptimizerDefaults, Reference

NOWOZIN_2016 = Reference(
    "Nowozin, S., Cseke, B., Tomioka, R.",
    "f-GAN: Training Generative Neural Samplers using Variational Divergence Minimization",
    2016,
    "https://arxiv.org/abs/1606.00709",
)

FGAN_OPTIMIZER = OptimizerDefaults(
    name="adam",
    lr=2e-4,
    betas=(0.5, 0.999),
    source="The DCGAN settings (Radford et al. 2016: Adam, lr 0.0002, beta1 0.5), whose "
    "architecture Nowozin et al. 2016 used for their LSUN experiments.",
)

BOUND_STEPS = (
    r"**Variational lower bound.** For convex $f$ with $f(1)=0$, "
    r"$D_f(P\|Q)=\int q\,f(p/q)\,dx$. Since $f=f^{**}$, $f(u)=\sup_t\,tu-f^*(t)$; putting "
    r"this inside the integral and moving the supremum out (over functions $T$) gives "
    r"$D_f(P\|Q)\ge\sup_T\mathbb{E}_P[T(x)]-\mathbb{E}_Q[f^*(T(x))]$, tight at "
    r"$T^*=f'(p/q)$ (Nguyen, Wainwright & Jordan 2010; Nowozin et al. 2016, Sec. 2).",
    r"**Output activation.** The critic's raw score $V(x)$ is mapped to $T=g_f(V)$ inside "
    r"the domain of $f^*$ (Nowozin et al. 2016, Table 2).",
    r"**The game.** The critic maximises $F=\mathbb{E}_P[g_f(V(x))]-\mathbb{E}_Q[f^*(g_f("
    r"V(\tilde x)))]$, so it minimises $\mathcal{L}_D=-F$; the generator should minimise $F$. "
    r"Like Goodfellow et al.'s trick for the GAN, Nowozin et al. use the generator objective "
    r"$\max_G\mathbb{E}_Q[g_f(V(G(z)))]$, which has the same fixed point and stronger "
    r"gradients early: $\mathcal{L}_G=-\mathbb{E}_Q[g_f(V(\tilde x))]$.",
)

JS_STEP = (
    r"**The family's GAN member.** With $f(u)=u\log u-(u+1)\log(u+1)$ and "
    r"$g_f(v)=-\log(1+e^{-v})=\log\sigma(v)$, $f^*(t)=-\log(1-e^t)$ turns $F$ into "
    r"$\mathbb{E}_P[\log\sigma(V)]+\mathbb{E}_Q[\log(1-\sigma(V))]$, the minimax GAN's value "
    r"function, whose maximum is $2\,\mathrm{JSD}(P\|Q)-\log4$ (Nowozin et al. 2016, "
    r"Tables 1 and 2): `minimax-bce` is the Jensen-Shannon member of this family, and "
    r"`nonsaturating-bce` is it with the generator trick."
)
