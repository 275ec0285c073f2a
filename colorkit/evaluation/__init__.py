"""Scoring colorizers: the validation protocol and the model card's computations.

- :mod:`~colorkit.evaluation.sources`: the multi-source validation and test sets (held-out
  photos of every collection) and per-source scores, harm rate included.
"""
