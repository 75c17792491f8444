"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9897 candidate sentences);
abstention on that split: precision 70.0%, recall 35.0%.
"""

BIAS = -9.4785
WEIGHTS = {
    "dense": 2.5566,
    "dense_chunk": 1.3629,
    "lexical": 0.8049,
    "lexical_all": 0.7605,
    "lexical_asked": 3.1692,
    "lexical_context": 1.6604,
    "chunk_rank": 1.5652,
    "unknown_share": 0.3824,
    "answer_type": 1.9894,
    "dense_gap": 1.8295,
    "lexical_gap": 0.8049,
    "previous_article": 1.7120,
    "dense_context": 2.1017,
    "article_coverage": 2.1651,
    "date_match": 0.7988,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.09
