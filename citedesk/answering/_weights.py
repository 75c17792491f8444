"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions) in 2 store(s): articles, distractors;
38287 candidate sentences. At the threshold, on dev: abstention precision 72.7%, recall 40.0%;
answerable questions wrongly refused 2.2%.
"""

BIAS = -8.6773
WEIGHTS = {
    "dense": 4.3870,
    "dense_chunk": 1.2294,
    "lexical": 0.7361,
    "lexical_all": -0.7651,
    "lexical_asked": 1.5948,
    "lexical_context": 2.1345,
    "chunk_rank": 1.5341,
    "unknown_share": 0.1161,
    "answer_type": 2.1594,
    "dense_gap": 1.7883,
    "lexical_gap": 0.7361,
    "previous_article": 1.5991,
    "dense_context": 2.1155,
    "article_coverage": 1.7247,
    "date_match": 1.3705,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.22
