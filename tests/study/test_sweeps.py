"""A loss knob given as a list expands into one labelled entry per value (the cartesian
product for several lists); tuning ranges and unique labels keep working."""

import itertools

import pytest

from losslab.cli import main
from losslab.errors import BadInput
from losslab.study.config import validate_config
from losslab.study.planner import plan_members
from losslab.study.space import loss_space


def config(*losses, **extra):
    return {"study": {"name": "sweep", "seeds": 2}, "data": {"name": "gaussian"},
            "losses": list(losses), **extra}


def test_a_list_knob_expands_into_labelled_entries():
    c = validate_config(config({"name": "wgan-gp", "gp_weight": [0.1, 1, 10.0]},
                               {"name": "nonsaturating-bce"}))
    assert [e.display for e in c.losses] == [
        "wgan-gp gp_weight=0.1", "wgan-gp gp_weight=1", "wgan-gp gp_weight=10",
        "nonsaturating-bce",
    ]
    assert [e.hparam_overrides.get("gp_weight") for e in c.losses] == [0.1, 1, 10.0, None]
    members = plan_members(c)
    assert len(members) == 4 * 2  # entries x seeds
    assert [m.hparams["gp_weight"] for m in members[:6]] == [0.1, 0.1, 1, 1, 10, 10]


def test_several_lists_give_the_cartesian_product_in_written_order():
    entry = {"name": "wgan-gp", "label": "gp", "gp_weight": [1, 10], "n_critic": [1, 5]}
    c = validate_config(config(entry))
    expected = [f"gp gp_weight={g} n_critic={n}" for g, n in itertools.product([1, 10], [1, 5])]
    assert [e.display for e in c.losses] == expected
    assert [(e.hparam_overrides["gp_weight"], e.n_critic) for e in c.losses] == list(
        itertools.product([1, 10], [1, 5])
    )
    assert {e.sweep_of for e in c.losses} == {"gp"}


def test_tune_ranges_of_the_swept_entry_apply_to_each_value():
    tune = {"trials": 2, "ranges": {"wgan-gp": {"gp_weight": False}}}
    c = validate_config(config({"name": "wgan-gp", "gp_weight": [1, 10]}, tune=tune))
    for entry in c.losses:
        assert "gp_weight" not in loss_space(c, entry)  # false: kept at the swept value
    tune = {"trials": 2, "ranges": {"mine": {"gp_weight": {"low": 1, "high": 20}}}}
    c = validate_config(config({"name": "wgan-gp", "label": "mine", "gp_weight": [1, 10]},
                               tune=tune))
    assert all("gp_weight" in loss_space(c, e) for e in c.losses)


@pytest.mark.parametrize(
    "entries, message",
    [
        ([{"name": "wgan-gp", "gp_weight": []}],
         "losses[0].gp_weight = []: a sweep needs at least one value"),
        ([{"name": "wgan-gp", "gp_weight": [1, 1]}], "a value appears twice"),
        ([{"name": "wgan-gp", "gp_weight": [[1]]}], "a sweep lists single values"),
        ([{"name": "nonsaturating-bce"}, {"name": "wgan-gp", "gp_weight": [1, -2]}],
         "losses[1] (wgan-gp gp_weight=-2): loss 'wgan-gp': gp_weight = -2"),
        ([{"name": "wgan-gp", "gp_weight": [1, 2]},
          {"name": "wgan-gp", "label": "wgan-gp gp_weight=2"}],
         "'wgan-gp gp_weight=2' appears twice"),
    ],
)
def test_bad_sweeps_are_one_line(entries, message):
    with pytest.raises(BadInput) as err:
        validate_config(config(*entries))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_sweep_in_a_toml_config_runs_the_cli_checks(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('[study]\nname = "s"\n[data]\nname = "gaussian"\n'
                    '[[losses]]\nname = "wgan-gp"\ngp_weight = [0.1, "x"]\n')
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "gp_weight = 'x' must be a number" in err
