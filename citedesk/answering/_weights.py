"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 38362 candidate sentences);
abstention on that split: precision 73.9%, recall 42.5%.
"""

BIAS = -8.4899
WEIGHTS = {
    "dense": 5.1059,
    "dense_chunk": 1.8019,
    "lexical": 1.0911,
    "lexical_all": -0.4756,
    "lexical_asked": 2.3873,
    "lexical_context": 3.1568,
    "chunk_rank": 2.2903,
    "unknown_share": 0.0968,
    "answer_type": 3.1777,
    "dense_gap": 2.5844,
    "lexical_gap": 1.0911,
    "previous_article": 2.2852,
    "dense_context": 3.0852,
    "article_coverage": 2.4776,
    "date_match": 2.0011,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.89
