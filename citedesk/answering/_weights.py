"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9889 candidate sentences);
abstention on that split: precision 72.7%, recall 40.0%.
"""

BIAS = -9.1164
WEIGHTS = {
    "dense": 3.0657,
    "dense_chunk": 1.8897,
    "lexical": 1.2759,
    "lexical_all": 0.8894,
    "lexical_asked": 3.8378,
    "lexical_context": 2.9366,
    "chunk_rank": 2.7040,
    "unknown_share": 0.1899,
    "answer_type": 3.5130,
    "dense_gap": 2.8371,
    "lexical_gap": 1.2759,
    "previous_article": 1.9525,
    "dense_context": 3.1964,
    "article_coverage": 3.1891,
    "date_match": 1.1284,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.88
