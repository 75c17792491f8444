"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9944 candidate sentences);
abstention on that split: precision 72.7%, recall 40.0%.
"""

BIAS = -9.6310
WEIGHTS = {
    "dense": 3.9045,
    "dense_chunk": 2.2526,
    "lexical": 1.2864,
    "lexical_all": 1.2913,
    "lexical_asked": 4.6969,
    "lexical_context": 2.6576,
    "chunk_rank": 2.5280,
    "unknown_share": 0.4956,
    "answer_type": 3.2211,
    "dense_gap": 2.8919,
    "lexical_gap": 1.2864,
    "previous_article": 2.9860,
    "dense_context": 3.4510,
    "article_coverage": 3.4922,
    "date_match": 1.2948,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.88
