"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54690 candidate sentences. At the threshold, on dev: abstention precision 41.7%, recall 17.0%;
answerable questions wrongly refused 3.4%.
"""

BIAS = -5.5811
WEIGHTS = {
    "dense": 2.9361,
    "dense_chunk": 1.1701,
    "lexical": 0.2288,
    "lexical_all": -0.0223,
    "lexical_asked": 1.6915,
    "lexical_context": 1.1571,
    "chunk_rank": 0.9074,
    "unknown_share": 0.3909,
    "answer_type": 1.2766,
    "dense_gap": 1.8972,
    "lexical_gap": 0.2288,
    "previous_article": 1.1673,
    "dense_context": 1.5664,
    "article_coverage": 1.8730,
    "date_match": 0.8135,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.45
