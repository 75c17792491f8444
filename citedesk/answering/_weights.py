"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (95 questions, 2484 candidate sentences);
abstention on that split: precision 70.0%, recall 50.0%.
"""

BIAS = -5.5222
WEIGHTS = {
    "dense": 4.1815,
    "dense_chunk": -0.4403,
    "lexical": 0.9554,
    "lexical_asked": 2.0583,
    "lexical_context": 2.0596,
    "chunk_rank": 1.8036,
    "unknown_share": -0.2972,
    "answer_type": 1.4091,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.52
