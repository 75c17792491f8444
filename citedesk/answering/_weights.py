"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54447 candidate sentences. The question-level model also on dev_v4.jsonl (162 questions).
Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 67.1%, recall 22.6%; answerable questions wrongly refused 3.3%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.4% of the answerable and 19.2% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 42.4%, recall 15.9%, 3.1% wrongly refused.
"""

BIAS = -5.5379
WEIGHTS = {
    "dense": 3.4746,
    "dense_chunk": 1.0232,
    "lexical": 0.0430,
    "lexical_all": -0.6201,
    "lexical_asked": 2.1663,
    "lexical_context": 1.5555,
    "chunk_rank": 0.6042,
    "unknown_share": 0.6618,
    "answer_type": 1.1348,
    "dense_gap": 1.8717,
    "lexical_gap": 0.0430,
    "previous_article": 1.0571,
    "dense_context": 1.2180,
    "article_coverage": 1.6694,
    "date_match": 0.9861,
    "lexical_names": 0.2042,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.39
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 1.6824
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4481,
    "best3_probability": -0.5719,
    "spread": 0.9928,
    "dense_max": 0.4398,
    "lexical_asked_max": -0.3007,
    "lexical_context_max": -0.2011,
    "article_coverage_max": 1.1820,
    "unknown_share": -1.9924,
    "answer_type_best5": 1.6880,
    "answer_type_best": -0.7837,
    "dense_chunk_best5": -3.5353,
}
UNANSWERED_THRESHOLD = 0.8164
