"""Trainers, one per paradigm, sharing one loop, one recorder and one optimiser."""
