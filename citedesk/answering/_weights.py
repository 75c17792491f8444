"""Weights of the evidence model and the abstention threshold.

Starting values, before fitting on the dev split; `python -m eval.fit` rewrites this file.
"""

BIAS = -6.0
WEIGHTS = {
    "dense": 6.0,
    "dense_chunk": 1.5,
    "lexical": 3.0,
    "lexical_asked": 1.0,
    "lexical_context": 1.0,
    "chunk_rank": 0.5,
    "unknown_share": -2.0,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.35
