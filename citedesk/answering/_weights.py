"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9950 candidate sentences);
abstention on that split: precision 60.0%, recall 45.0%.
"""

BIAS = -9.6088
WEIGHTS = {
    "dense": 3.7413,
    "dense_chunk": 2.2675,
    "lexical": 1.3137,
    "lexical_all": 1.2240,
    "lexical_asked": 4.5533,
    "lexical_context": 2.6873,
    "chunk_rank": 2.4891,
    "unknown_share": 0.3918,
    "answer_type": 3.2327,
    "dense_gap": 2.9610,
    "lexical_gap": 1.3137,
    "previous_article": 2.7925,
    "dense_context": 3.5216,
    "article_coverage": 3.6124,
    "date_match": 1.2814,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.93
