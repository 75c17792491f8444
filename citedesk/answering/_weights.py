"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 4093 candidate sentences);
abstention on that split: precision 61.5%, recall 40.0%.
"""

BIAS = -1.8802
WEIGHTS = {
    "dense": 1.3341,
    "dense_chunk": -0.4381,
    "lexical": -0.2226,
    "lexical_asked": 1.4094,
    "lexical_context": 1.7047,
    "chunk_rank": 1.8408,
    "unknown_share": -0.4618,
    "answer_type": 1.5184,
    "dense_gap": 3.0222,
    "lexical_gap": 2.5526,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.74
