"""Profile honesty (issue 17): the mode count says when it is not a count of modes."""

from __future__ import annotations

from sklearn.datasets import load_breast_cancer, make_moons
from sklearn.mixture import GaussianMixture

from losslab.data.files import load
from losslab.data.profile import GMM_MAX_COMPONENTS, modes_caveat, profile


def test_rules_of_the_caveat():
    assert modes_caveat(8, 10, 2, 0.99) == ""
    assert modes_caveat(1, 10, 40, 1.0) == ""  # one component: nothing to count
    assert "largest K searched (10)" in modes_caveat(10, 10, 2, 0.99)
    assert "30 columns with diagonal covariances" in modes_caveat(4, 10, 30, 0.99)
    assert "certainty 0.70 < 0.9" in modes_caveat(3, 10, 2, 0.70)


def test_ring_is_counted_and_moons_are_not(ring):
    p = profile(load(ring(1200), "generate"), "generate")
    assert p.modes == 8 and p.modes_caveat == ""
    moons = make_moons(1000, noise=0.05, random_state=0)[0]
    p = profile(load(moons, "generate"), "generate")
    assert p.modes_caveat  # a curve tiled by Gaussians
    # the certainty rule against scikit-learn directly, at the profile's K
    z = (moons - moons.mean(0)) / moons.std(0)
    gmm = GaussianMixture(p.modes, n_init=2, random_state=0, reg_covar=1e-6).fit(z)
    certainty = gmm.predict_proba(z).max(axis=1).mean()
    assert (p.modes == GMM_MAX_COMPONENTS) or certainty < 0.9
    assert any("not a count of modes" in line for line in p.lines())
    assert p.to_dict()["modes_caveat"] == p.modes_caveat


def test_high_dimensional_data_say_so():
    x = load_breast_cancer().data
    p = profile(load(x, "generate"), "generate")
    assert "30 columns with diagonal covariances" in p.modes_caveat
