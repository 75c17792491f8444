"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions, 9867 candidate sentences);
abstention on that split: precision 72.7%, recall 40.0%.
"""

BIAS = -9.0446
WEIGHTS = {
    "dense": 3.1383,
    "dense_chunk": 1.9266,
    "lexical": 1.2388,
    "lexical_all": 0.9916,
    "lexical_asked": 3.8147,
    "lexical_context": 2.9253,
    "chunk_rank": 2.6233,
    "unknown_share": -0.2073,
    "answer_type": 3.4561,
    "dense_gap": 2.8429,
    "lexical_gap": 1.2388,
    "previous_article": 2.0476,
    "dense_context": 3.2289,
    "article_coverage": 3.0394,
    "date_match": 1.1552,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.88
