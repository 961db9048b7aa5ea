"""Shared test hygiene."""

import pytest

from losslab import plugins
from losslab.losses import registry


@pytest.fixture(autouse=True)
def _plugin_losses_stay_in_their_test():
    """A plug-in loss registers process-wide (a README snippet, a plug-in test): each test
    leaves the registry with the losses it found, so later tests see the built-ins only."""
    sources, loaded = set(plugins._SOURCES), set(plugins._LOADED)
    yield
    for name in set(plugins._SOURCES) - sources:
        plugins._SOURCES.pop(name, None)
        registry._REGISTRY.pop(name, None)
    for key in set(plugins._LOADED) - loaded:
        plugins._LOADED.pop(key, None)
