"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9896 candidate sentences);
abstention on that split: precision 70.6%, recall 60.0%.
"""

BIAS = -9.4068
WEIGHTS = {
    "dense": 3.6655,
    "dense_chunk": 2.2116,
    "lexical": 1.2854,
    "lexical_all": 1.2540,
    "lexical_asked": 4.4851,
    "lexical_context": 2.6986,
    "chunk_rank": 2.4968,
    "unknown_share": 0.4062,
    "answer_type": 3.1756,
    "dense_gap": 2.8682,
    "lexical_gap": 1.2854,
    "previous_article": 2.7815,
    "dense_context": 3.3809,
    "article_coverage": 3.4117,
    "date_match": 1.2767,
    "unknown_name": -0.2485,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.97
