"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 38230 candidate sentences);
abstention on that split: precision 75.0%, recall 37.5%.
"""

BIAS = -8.9044
WEIGHTS = {
    "dense": 4.3779,
    "dense_chunk": 1.2053,
    "lexical": 0.7576,
    "lexical_all": -0.8207,
    "lexical_asked": 1.4489,
    "lexical_context": 2.1543,
    "chunk_rank": 1.7545,
    "unknown_share": 0.0859,
    "answer_type": 2.2847,
    "dense_gap": 1.9510,
    "lexical_gap": 0.7576,
    "previous_article": 1.5634,
    "dense_context": 2.1067,
    "article_coverage": 1.9505,
    "date_match": 1.4645,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.20
