"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 4085 candidate sentences);
abstention on that split: precision 57.1%, recall 40.0%.
"""

BIAS = -1.7411
WEIGHTS = {
    "dense": 1.3680,
    "dense_chunk": -0.5860,
    "lexical": -0.1824,
    "lexical_all": -0.3066,
    "lexical_asked": 1.4480,
    "lexical_context": 1.8429,
    "chunk_rank": 1.7873,
    "unknown_share": -0.5219,
    "answer_type": 1.4999,
    "dense_gap": 3.0626,
    "lexical_gap": 2.6265,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.74
