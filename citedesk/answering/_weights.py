"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54703 candidate sentences. Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 59.6%, recall 31.8%; answerable questions wrongly refused 3.1%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.5% of the answerable and 27.7% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 48.6%, recall 20.5%, 3.1% wrongly refused.
"""

BIAS = -5.7777
WEIGHTS = {
    "dense": 3.1069,
    "dense_chunk": 1.1648,
    "lexical": 0.2769,
    "lexical_all": -0.5071,
    "lexical_asked": 1.6316,
    "lexical_context": 1.3063,
    "chunk_rank": 0.9438,
    "unknown_share": 0.7216,
    "answer_type": 1.2911,
    "dense_gap": 1.9607,
    "lexical_gap": 0.2769,
    "previous_article": 1.1211,
    "dense_context": 1.6415,
    "article_coverage": 1.9739,
    "date_match": 0.9047,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.45
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 4.1866
UNANSWERED_WEIGHTS = {
    "best_logit": -0.3879,
    "best3_probability": -0.8738,
    "spread": -6.1479,
    "dense_max": -0.3207,
    "lexical_asked_max": -0.4712,
    "lexical_context_max": 1.0944,
    "article_coverage_max": -0.4941,
    "unknown_share": -1.6046,
    "answer_type_best5": 1.7688,
    "answer_type_best": -0.8306,
    "dense_chunk_best5": -4.3967,
}
UNANSWERED_THRESHOLD = 0.8421
