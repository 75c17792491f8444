"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 4085 candidate sentences);
abstention on that split: precision 57.1%, recall 40.0%.
"""

BIAS = -1.8269
WEIGHTS = {
    "dense": 1.3703,
    "dense_chunk": -0.4829,
    "lexical": -0.0973,
    "lexical_all": -0.2266,
    "lexical_asked": 1.4318,
    "lexical_context": 1.6920,
    "chunk_rank": 1.8526,
    "unknown_share": -0.4889,
    "answer_type": 1.5119,
    "dense_gap": 3.0333,
    "lexical_gap": 2.5959,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.74
