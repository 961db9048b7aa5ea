"""broadcast_knob: a number passes through, an [S] tensor lines up with the member axis."""

from __future__ import annotations

import pytest
import torch

from losslab.losses.knobs import broadcast_knob


def test_a_number_and_a_0d_tensor_pass_through():
    like = torch.zeros(3, 4, 5)
    assert broadcast_knob(0.5, like) == 0.5
    scalar = torch.tensor(2.0)
    assert broadcast_knob(scalar, like) is scalar


@pytest.mark.parametrize("shape", [(3,), (3, 4), (3, 4, 5), (3, 1, 2, 7)])
def test_an_s_tensor_scales_each_member_by_its_own_value(shape):
    like = torch.randn(*shape, dtype=torch.float64)
    knob = torch.tensor([0.5, 2.0, -1.0])  # float32, as the trainer builds it
    out = like * broadcast_knob(knob, like)
    assert out.shape == like.shape and out.dtype == torch.float64
    for s in range(3):
        assert torch.equal(out[s], like[s] * float(knob[s]))


def test_integer_like_gives_the_default_float_dtype():
    like = torch.zeros(3, 4, dtype=torch.int64)
    assert broadcast_knob(torch.tensor([1, 2, 3]), like).dtype == torch.get_default_dtype()


@pytest.mark.parametrize("knob", [torch.ones(2), torch.ones(4), torch.ones(3, 1)])
def test_a_tensor_that_is_not_one_value_per_member_is_refused(knob):
    with pytest.raises(ValueError, match=r"per-member knob must have shape \[S\] = \[3\]"):
        broadcast_knob(knob, torch.zeros(3, 4))
