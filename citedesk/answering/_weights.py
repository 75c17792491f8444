"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54811 candidate sentences. Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 58.3%, recall 31.8%; answerable questions wrongly refused 3.2%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.5% of the answerable and 27.7% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 48.7%, recall 21.6%, 3.2% wrongly refused.
"""

BIAS = -5.7125
WEIGHTS = {
    "dense": 3.3103,
    "dense_chunk": 1.0759,
    "lexical": 0.1825,
    "lexical_all": -0.5611,
    "lexical_asked": 2.0673,
    "lexical_context": 1.0943,
    "chunk_rank": 0.8237,
    "unknown_share": 0.7517,
    "answer_type": 1.1765,
    "dense_gap": 1.7747,
    "lexical_gap": 0.1825,
    "previous_article": 1.2174,
    "dense_context": 1.4436,
    "article_coverage": 1.7252,
    "date_match": 0.8290,
    "lexical_names": 0.4606,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.45
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 4.7655
UNANSWERED_WEIGHTS = {
    "best_logit": -0.3339,
    "best3_probability": -0.6084,
    "spread": -6.2649,
    "dense_max": -0.7832,
    "lexical_asked_max": -0.5732,
    "lexical_context_max": 1.1834,
    "article_coverage_max": -0.9885,
    "unknown_share": -1.7559,
    "answer_type_best5": 1.7524,
    "answer_type_best": -0.8391,
    "dense_chunk_best5": -4.6973,
}
UNANSWERED_THRESHOLD = 0.8443
