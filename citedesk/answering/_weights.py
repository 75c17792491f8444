"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions) in 2 store(s): articles, distractors;
24516 candidate sentences. At the threshold, on dev: abstention precision 64.5%, recall 50.0%;
answerable questions wrongly refused 4.1%.
"""

BIAS = -8.6462
WEIGHTS = {
    "dense": 2.2708,
    "dense_chunk": 1.7568,
    "lexical": 0.8669,
    "lexical_all": -0.3547,
    "lexical_asked": 2.3975,
    "lexical_context": 2.1970,
    "chunk_rank": 1.6478,
    "unknown_share": -0.3199,
    "answer_type": 2.3059,
    "dense_gap": 2.0840,
    "lexical_gap": 0.8669,
    "previous_article": 1.3005,
    "dense_context": 2.0654,
    "article_coverage": 1.6068,
    "date_match": 1.6033,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.25
