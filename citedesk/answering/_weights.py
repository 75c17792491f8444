"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl (155 questions) in 2 store(s): articles, distractors;
38064 candidate sentences. At the threshold, on dev: abstention precision 70.0%, recall 35.0%;
answerable questions wrongly refused 2.2%.
"""

BIAS = -7.1068
WEIGHTS = {
    "dense": 2.4038,
    "dense_chunk": 1.5731,
    "lexical": 0.8459,
    "lexical_all": 0.6299,
    "lexical_asked": 2.4235,
    "lexical_context": 2.5636,
    "chunk_rank": 1.6888,
    "unknown_share": -0.0355,
    "answer_type": 2.5128,
    "dense_gap": 2.0374,
    "lexical_gap": 0.8459,
    "previous_article": 1.7057,
    "dense_context": 2.4065,
    "article_coverage": 1.9742,
    "date_match": 1.7390,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.72
