"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9280 candidate sentences);
abstention on that split: precision 60.0%, recall 45.0%.
"""

BIAS = -10.6011
WEIGHTS = {
    "dense": 5.7265,
    "dense_chunk": 2.5398,
    "lexical": 0.8548,
    "lexical_all": 0.9239,
    "lexical_asked": 6.0819,
    "lexical_context": 3.3609,
    "chunk_rank": 1.2047,
    "unknown_share": 0.6692,
    "answer_type": 3.2579,
    "dense_gap": 3.8621,
    "lexical_gap": 0.8548,
    "previous_article": 3.4222,
    "dense_context": 4.2817,
    "article_coverage": 3.6093,
    "date_match": 1.4965,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.90
