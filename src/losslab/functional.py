r"""Every registered loss on plain batch tensors, for an ordinary training loop.

``loss(name, **knobs)`` returns the loss with its knobs checked and the card's defaults
filled in. It calls the registered member-axis term (one implementation): each input gets
a leading member axis of size one (``unsqueeze(0)``) and the term's ``[1]`` result is
returned as a 0-d tensor, the batch mean, with gradients flowing to the inputs.

What each family takes, in torch.nn.functional's order:

* **classification** — ``fn(input, target)``: logits ``[B, C]`` and int64 class indices
  ``[B]`` in ``[0, C)`` (``F.cross_entropy``); ``sigmoid-bce`` takes one logit per sample
  ``[B]`` (or ``[B, 1]``) and targets in ``[0, 1]`` of the same shape
  (``F.binary_cross_entropy_with_logits``). Losses that read class statistics take them by
  keyword: ``class_weights=[C]`` (``class-weighted-ce``), ``class_priors=[C]``
  (``logit-adjusted-ce``, ``balanced-softmax``, ``ldam``).
* **regression** — ``fn(input, target)``: predictions ``[B]`` (or ``[B, 1]``) and targets
  ``[B]``; a loss with ``k`` outputs per sample takes ``[B, k]`` (``gaussian-nll``: mean
  and log-variance, ``[B, 2]``).
* **adversarial** — ``.discriminator(real_scores, fake_scores)`` and
  ``.generator(fake_scores)``: raw critic outputs ``[B]`` (or ``[B, 1]``). ``rsgan`` and
  ``ragan``'s generator also takes ``real_scores``; ``ebgan``'s takes ``fake_codes``
  ``[B, code_dim]``, and its scores are the autoencoder's reconstruction energies. A
  penalty the card declares (``wgan-gp``'s gradient penalty, ``nonsaturating-r1``'s R1,
  ...) is not part of ``.discriminator``: ``.penalties`` names each with its weight, and
  :data:`losslab.losses.penalties.PENALTIES` holds the terms to add. ``wgan-clip``'s
  weight clip is the optimiser step's business, as in any loop.
* **energy** — ``contrastive-divergence``: ``.energy(data_energy, sample_energy)``
  ``[B]`` each; ``dsm``/``dsm-annealed``: ``.score(scores, noise, sigmas)`` with scores
  and noise ``[B, d]``, sigmas ``[B]`` or ``[B, 1]``.
* **diffusion** — ``.denoise(prediction, target)``, ``[B, d]`` each.

A loss with a single term is also callable directly (``fn(...)`` is that term). Wrong
knobs, dtypes, shapes or class indices raise :class:`losslab.errors.BadInput` with one line
that names the argument.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import Tensor

from losslab.errors import BadInput
from losslab.losses.registry import LossSpec, get_loss

__all__ = ["FunctionalLoss", "loss"]

SUPERVISED = ("classification", "regression")


def loss(name: str, **knobs: Any) -> FunctionalLoss:
    """The registered loss ``name`` on plain batch tensors, ``knobs`` over the card's
    defaults (an unknown knob or a value outside its range raises :class:`BadInput`).

    >>> ce = loss("label-smoothing-ce", epsilon=0.1)
    >>> value = ce(torch.randn(8, 3), torch.randint(0, 3, (8,)))  # 0-d, the batch mean
    """
    spec = get_loss(name)
    return FunctionalLoss(spec, spec.hyperparameters(knobs))


def _tensor(loss_name: str, arg: str, value: Any) -> Tensor:
    if not isinstance(value, Tensor):
        raise BadInput(
            f"loss '{loss_name}': {arg} must be a torch.Tensor, got {type(value).__name__}"
        )
    return value


def _floating(loss_name: str, arg: str, value: Any) -> Tensor:
    value = _tensor(loss_name, arg, value)
    if not value.is_floating_point():
        raise BadInput(
            f"loss '{loss_name}': {arg} must be a floating-point tensor, got {value.dtype}"
        )
    return value


def _shape(t: Tensor) -> str:
    return str(list(t.shape))


class FunctionalLoss:
    """A registered loss bound to its knobs, taking plain batch tensors (see the module).

    ``name``, ``family``, ``knobs`` (every knob's value) and ``roles`` (the term names:
    ``loss``, ``discriminator``/``generator``, ``energy``, ``score``, ``denoise``) describe
    it; ``penalties`` maps each penalty its card declares to that penalty's weight.
    """

    def __init__(self, spec: LossSpec, knobs: dict[str, Any]):
        self.spec = spec
        self.name = spec.name
        self.family = spec.family
        self.knobs = dict(knobs)
        self.roles = tuple(spec.terms)
        self._terms = {role: spec.bind(role, self.knobs) for role in spec.terms}
        declared = spec.training.get("penalties") or {}
        self.penalties = {p: self.knobs[w] for p, w in declared.items() if w in self.knobs}

    def __repr__(self) -> str:
        knobs = ", ".join(f"{k}={v!r}" for k, v in self.knobs.items())
        return f"losslab.loss({self.name!r}{', ' if knobs else ''}{knobs})"

    # -- calling a term with a member axis of one -----------------------------------------

    def _term(self, role: str) -> Any:
        if role not in self._terms:
            have = ", ".join(f".{r}" for r in self.roles if r != "loss") or "a direct call"
            raise BadInput(
                f"loss '{self.name}' ({self.family}) has no .{role} term (it has {have})"
            )
        return self._terms[role]

    def _run(self, role: str, **inputs: Tensor) -> Tensor:
        term = self._term(role)
        accepted = inspect.signature(term).parameters
        for arg in inputs:
            if arg not in accepted:
                raise BadInput(f"loss '{self.name}': its {role} term takes no argument '{arg}'")
        missing = [
            a
            for a, p in accepted.items()
            if p.default is inspect.Parameter.empty
            and a not in inputs
            and p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        if missing:
            raise BadInput(f"loss '{self.name}': its {role} term needs {', '.join(missing)}")
        try:
            out = term(**{k: v.unsqueeze(0) for k, v in inputs.items()})
        except (ValueError, IndexError, RuntimeError) as error:
            first = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise BadInput(f"loss '{self.name}': {role} term refused its inputs: {first}") from None
        return out.squeeze(0)

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        if self.family in SUPERVISED:
            return self._supervised(*args, **kwargs)
        if len(self.roles) != 1:
            raise BadInput(
                f"loss '{self.name}' ({self.family}) has several terms: call "
                + " or ".join(f".{r}(...)" for r in self.roles)
            )
        return getattr(self, self.roles[0])(*args, **kwargs)

    # -- supervised -----------------------------------------------------------------------

    def _supervised(self, input: Tensor, target: Tensor, **extra: Tensor) -> Tensor:
        input = _floating(self.name, "input", input)
        target = _tensor(self.name, "target", target)
        width = self.spec.training.get(
            "outputs", "classes" if self.family == "classification" else 1
        )
        if self.family == "classification" and width == "classes":
            inputs = self._classes(input, target)
        elif self.family == "classification":
            inputs = self._binary(input, target)
        else:
            inputs = self._regression(input, target, int(width))
        for arg, value in extra.items():
            value = _floating(self.name, arg, value)
            classes = input.shape[-1]
            if value.shape != (classes,):
                raise BadInput(
                    f"loss '{self.name}': {arg} must have shape [C] = [{classes}], got "
                    f"{_shape(value)}"
                )
            inputs[arg] = value
        return self._run("loss", **inputs)

    def _classes(self, input: Tensor, target: Tensor) -> dict[str, Tensor]:
        if input.dim() != 2:
            raise BadInput(f"loss '{self.name}': input must be logits [B, C], got {_shape(input)}")
        if target.is_floating_point() or target.dtype in (torch.bool, torch.complex64):
            raise BadInput(
                f"loss '{self.name}': target must hold int64 class indices, got {target.dtype} "
                "(for one-hot or soft targets take argmax, or use F.cross_entropy)"
            )
        if target.shape != input.shape[:1]:
            raise BadInput(
                f"loss '{self.name}': target must be class indices [B] = [{input.shape[0]}], "
                f"got {_shape(target)}"
            )
        classes = input.shape[1]
        if target.numel() and (int(target.min()) < 0 or int(target.max()) >= classes):
            bad = int(target.min()) if int(target.min()) < 0 else int(target.max())
            raise BadInput(
                f"loss '{self.name}': target holds class index {bad}, outside [0, {classes})"
            )
        return {"logits": input, "targets": target.long()}

    def _binary(self, input: Tensor, target: Tensor) -> dict[str, Tensor]:
        if input.dim() == 2 and input.shape[1] == 1:
            input = input[:, 0]
        if input.dim() != 1:
            raise BadInput(
                f"loss '{self.name}': input must be one logit per sample [B] or [B, 1], got "
                f"{_shape(input)}"
            )
        if target.dim() == 2 and target.shape[1] == 1:
            target = target[:, 0]
        if target.shape != input.shape:
            raise BadInput(
                f"loss '{self.name}': target must be [B] = [{input.shape[0]}] like input, got "
                f"{_shape(target)}"
            )
        if target.numel() and (
            float(target.detach().min()) < 0 or float(target.detach().max()) > 1
        ):
            raise BadInput(f"loss '{self.name}': target must lie in [0, 1] (0/1 labels)")
        return {"logits": input.unsqueeze(-1), "targets": target.to(input.dtype)}

    def _regression(self, input: Tensor, target: Tensor, width: int) -> dict[str, Tensor]:
        if width == 1 and input.dim() == 1:
            input = input.unsqueeze(-1)
        if input.dim() != 2 or input.shape[1] != width:
            want = "[B] or [B, 1]" if width == 1 else f"[B, {width}]"
            raise BadInput(f"loss '{self.name}': input must be {want}, got {_shape(input)}")
        target = _floating(self.name, "target", target)
        if target.dim() == 2 and target.shape[1] == 1:
            target = target[:, 0]
        if target.shape != input.shape[:1]:
            raise BadInput(
                f"loss '{self.name}': target must be [B] = [{input.shape[0]}], got {_shape(target)}"
            )
        if self.spec.training.get("targets") == "non-negative" and target.numel():
            if float(target.detach().min()) < 0:
                raise BadInput(f"loss '{self.name}': target must be non-negative (counts)")
        return {"prediction": input, "targets": target}

    # -- adversarial ----------------------------------------------------------------------

    def _scores(self, arg: str, value: Any) -> Tensor:
        value = _floating(self.name, arg, value)
        if value.dim() == 2 and value.shape[1] == 1:
            value = value[:, 0]
        if value.dim() != 1:
            raise BadInput(f"loss '{self.name}': {arg} must be [B] or [B, 1], got {_shape(value)}")
        return value

    def discriminator(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """The critic's loss on its raw outputs for a real and a generated batch (0-d)."""
        self._term("discriminator")
        return self._run(
            "discriminator",
            real_scores=self._scores("real_scores", real_scores),
            fake_scores=self._scores("fake_scores", fake_scores),
        )

    def generator(
        self,
        fake_scores: Tensor,
        real_scores: Tensor | None = None,
        fake_codes: Tensor | None = None,
    ) -> Tensor:
        """The generator's loss on the critic's outputs for its samples (0-d); ``real_scores``
        for a relativistic loss, ``fake_codes`` ``[B, code_dim]`` for EBGAN."""
        self._term("generator")
        inputs = {"fake_scores": self._scores("fake_scores", fake_scores)}
        if real_scores is not None:
            inputs["real_scores"] = self._scores("real_scores", real_scores)
        if fake_codes is not None:
            codes = _floating(self.name, "fake_codes", fake_codes)
            if codes.dim() != 2 or codes.shape[0] != inputs["fake_scores"].shape[0]:
                raise BadInput(
                    f"loss '{self.name}': fake_codes must be [B, code_dim] with B = "
                    f"{inputs['fake_scores'].shape[0]}, got {_shape(codes)}"
                )
            inputs["fake_codes"] = codes
        return self._run("generator", **inputs)

    # -- energy and diffusion -------------------------------------------------------------

    def energy(self, data_energy: Tensor, sample_energy: Tensor) -> Tensor:
        """An EBM's loss on the energies of a data batch and a sampler batch (0-d)."""
        self._term("energy")
        return self._run(
            "energy",
            data_energy=self._scores("data_energy", data_energy),
            sample_energy=self._scores("sample_energy", sample_energy),
        )

    def _points(self, arg: str, value: Any) -> Tensor:
        value = _floating(self.name, arg, value)
        if value.dim() != 2:
            raise BadInput(f"loss '{self.name}': {arg} must be [B, d], got {_shape(value)}")
        return value

    def score(self, scores: Tensor, noise: Tensor, sigmas: Tensor) -> Tensor:
        """Denoising score matching on the model's scores at ``x + sigma * noise`` (0-d)."""
        self._term("score")
        scores, noise = self._points("scores", scores), self._points("noise", noise)
        if noise.shape != scores.shape:
            raise BadInput(
                f"loss '{self.name}': noise must have the shape of scores {_shape(scores)}, got "
                f"{_shape(noise)}"
            )
        sigmas = _floating(self.name, "sigmas", sigmas)
        if sigmas.dim() == 1:
            sigmas = sigmas.unsqueeze(-1)
        if sigmas.shape != (scores.shape[0], 1):
            raise BadInput(
                f"loss '{self.name}': sigmas must be [B] or [B, 1] with B = {scores.shape[0]}, "
                f"got {_shape(sigmas)}"
            )
        return self._run("score", scores=scores, noise=noise, sigmas=sigmas)

    def denoise(self, prediction: Tensor, target: Tensor) -> Tensor:
        """A diffusion model's loss on its prediction and the parameterisation's target (0-d)."""
        self._term("denoise")
        prediction, target = self._points("prediction", prediction), self._points("target", target)
        if target.shape != prediction.shape:
            raise BadInput(
                f"loss '{self.name}': target must have the shape of prediction "
                f"{_shape(prediction)}, got {_shape(target)}"
            )
        return self._run("denoise", prediction=prediction, target=target)
