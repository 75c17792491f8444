"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (95 questions, 2487 candidate sentences);
abstention on that split: precision 70.0%, recall 50.0%.
"""

BIAS = -4.8745
WEIGHTS = {
    "dense": 4.4846,
    "dense_chunk": -0.4857,
    "lexical": 1.0633,
    "lexical_asked": 2.1407,
    "lexical_context": 2.0750,
    "chunk_rank": 1.7269,
    "unknown_share": -0.4349,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.51
