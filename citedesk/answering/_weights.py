"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9317 candidate sentences);
abstention on that split: precision 60.0%, recall 45.0%.
"""

BIAS = -10.9902
WEIGHTS = {
    "dense": 5.7400,
    "dense_chunk": 2.4879,
    "lexical": 0.9160,
    "lexical_all": 0.9208,
    "lexical_asked": 6.2419,
    "lexical_context": 3.3241,
    "chunk_rank": 1.3183,
    "unknown_share": 0.7018,
    "answer_type": 3.3332,
    "dense_gap": 3.8639,
    "lexical_gap": 0.9160,
    "previous_article": 3.3141,
    "dense_context": 4.5691,
    "article_coverage": 4.1119,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.91
