"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
53819 candidate sentences. At the threshold, on dev: abstention precision 42.9%, recall 17.0%;
answerable questions wrongly refused 3.2%.
The question-level model's threshold refuses, out of fold over the dev questions the
vetoes pass, 2.5% of the answerable and 22.9% of the unanswerable ones.
"""

BIAS = -5.6305
WEIGHTS = {
    "dense": 3.0544,
    "dense_chunk": 1.1260,
    "lexical": 0.2579,
    "lexical_all": -0.3358,
    "lexical_asked": 1.7001,
    "lexical_context": 1.4069,
    "chunk_rank": 0.8636,
    "unknown_share": 0.6501,
    "answer_type": 1.2083,
    "dense_gap": 1.8988,
    "lexical_gap": 0.2579,
    "previous_article": 1.1551,
    "dense_context": 1.5554,
    "article_coverage": 1.9348,
    "date_match": 0.7897,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.42
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 4.0985
UNANSWERED_WEIGHTS = {
    "best_logit": -0.3336,
    "best3_probability": -0.7708,
    "spread": -5.9172,
    "dense_max": -0.3718,
    "lexical_asked_max": -0.3968,
    "lexical_context_max": 0.6516,
    "article_coverage_max": -0.5400,
    "unknown_share": -1.3250,
    "answer_type_best5": 1.6418,
    "answer_type_best": -0.6556,
    "dense_chunk_best5": -4.2057,
}
UNANSWERED_THRESHOLD = 0.8446
