"""losslab: which loss function fits my data, and why?

Explain each loss (``losslab explain``), compare losses in controlled multi-seed
studies where only the loss changes (``losslab run``), and recommend one for
your data with the evidence.
"""

__version__ = "0.1.0"
