"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54806 candidate sentences. Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 60.4%, recall 33.0%; answerable questions wrongly refused 3.1%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.5% of the answerable and 28.9% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 42.4%, recall 15.9%, 3.1% wrongly refused.
"""

BIAS = -5.7251
WEIGHTS = {
    "dense": 3.2599,
    "dense_chunk": 1.1315,
    "lexical": 0.2305,
    "lexical_all": -0.4888,
    "lexical_asked": 1.7504,
    "lexical_context": 1.3696,
    "chunk_rank": 0.8593,
    "unknown_share": 0.6734,
    "answer_type": 1.2273,
    "dense_gap": 1.9296,
    "lexical_gap": 0.2305,
    "previous_article": 1.1600,
    "dense_context": 1.5298,
    "article_coverage": 1.9005,
    "date_match": 0.8784,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.42
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 4.2715
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4053,
    "best3_probability": -0.5839,
    "spread": -6.1716,
    "dense_max": -0.2801,
    "lexical_asked_max": -0.5066,
    "lexical_context_max": 1.2281,
    "article_coverage_max": -0.7528,
    "unknown_share": -1.6072,
    "answer_type_best5": 1.8388,
    "answer_type_best": -0.8578,
    "dense_chunk_best5": -4.7187,
}
UNANSWERED_THRESHOLD = 0.8486
