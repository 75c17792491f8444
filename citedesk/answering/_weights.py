"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54705 candidate sentences. At the threshold, on dev: abstention precision 48.6%, recall 20.5%;
answerable questions wrongly refused 3.1%.
The question-level model's threshold refuses, out of fold over the dev questions the
vetoes pass, 2.5% of the answerable and 27.7% of the unanswerable ones.
"""

BIAS = -5.7679
WEIGHTS = {
    "dense": 3.2411,
    "dense_chunk": 1.1265,
    "lexical": 0.2727,
    "lexical_all": -0.4769,
    "lexical_asked": 1.6833,
    "lexical_context": 1.2704,
    "chunk_rank": 0.9402,
    "unknown_share": 0.7503,
    "answer_type": 1.2633,
    "dense_gap": 1.9458,
    "lexical_gap": 0.2727,
    "previous_article": 1.2228,
    "dense_context": 1.6064,
    "article_coverage": 1.9132,
    "date_match": 0.8961,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.45
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 4.1339
UNANSWERED_WEIGHTS = {
    "best_logit": -0.3994,
    "best3_probability": -0.9217,
    "spread": -6.1305,
    "dense_max": -0.2634,
    "lexical_asked_max": -0.4296,
    "lexical_context_max": 1.1650,
    "article_coverage_max": -0.5256,
    "unknown_share": -1.5910,
    "answer_type_best5": 1.7380,
    "answer_type_best": -0.7776,
    "dense_chunk_best5": -4.3690,
}
UNANSWERED_THRESHOLD = 0.8494
