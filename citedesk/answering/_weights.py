"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9289 candidate sentences);
abstention on that split: precision 53.8%, recall 35.0%.
"""

BIAS = -9.5416
WEIGHTS = {
    "dense": 4.9300,
    "dense_chunk": 2.3592,
    "lexical": 1.2270,
    "lexical_all": 1.2082,
    "lexical_asked": 5.0813,
    "lexical_context": 2.7038,
    "chunk_rank": 1.1988,
    "unknown_share": 0.4669,
    "answer_type": 3.1468,
    "dense_gap": 3.7049,
    "lexical_gap": 1.2270,
    "previous_article": 2.9084,
    "dense_context": 3.3835,
    "article_coverage": 3.4739,
    "date_match": 1.2434,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.84
