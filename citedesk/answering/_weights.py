"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54567 candidate sentences. At the threshold, on dev: abstention precision 41.2%, recall 15.9%;
answerable questions wrongly refused 3.2%.
"""

BIAS = -11.0244
WEIGHTS = {
    "dense": 6.9106,
    "dense_chunk": 3.3202,
    "lexical": 0.6421,
    "lexical_all": 0.7867,
    "lexical_asked": 4.3831,
    "lexical_context": 3.3135,
    "chunk_rank": 2.5732,
    "unknown_share": 0.6456,
    "answer_type": 3.6655,
    "dense_gap": 5.4121,
    "lexical_gap": 0.6421,
    "previous_article": 3.4422,
    "dense_context": 4.4660,
    "article_coverage": 5.0210,
    "date_match": 2.3457,
}
# Abstain when the best sentence's probability is below this.
THRESHOLD = 0.97
