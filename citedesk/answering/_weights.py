"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54455 candidate sentences. The question-level model also on dev_v4.jsonl (162 questions).
Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 69.4%, recall 25.2%; answerable questions wrongly refused 3.3%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.4% of the answerable and 19.4% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 46.9%, recall 17.0%, 2.8% wrongly refused.
"""

BIAS = -5.5391
WEIGHTS = {
    "dense": 3.4418,
    "dense_chunk": 1.0190,
    "lexical": 0.0403,
    "lexical_all": -0.5968,
    "lexical_asked": 2.1531,
    "lexical_context": 1.5832,
    "chunk_rank": 0.5993,
    "unknown_share": 0.6701,
    "answer_type": 1.1210,
    "dense_gap": 1.8479,
    "lexical_gap": 0.0403,
    "previous_article": 1.0237,
    "dense_context": 1.2188,
    "article_coverage": 1.6979,
    "date_match": 0.9779,
    "lexical_names": 0.1834,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.38
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 1.4325
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4744,
    "best3_probability": -0.5176,
    "spread": 1.2031,
    "dense_max": 0.5509,
    "lexical_asked_max": -0.1221,
    "lexical_context_max": -0.3882,
    "article_coverage_max": 1.2262,
    "unknown_share": -1.8305,
    "answer_type_best5": 1.9011,
    "answer_type_best": -0.7664,
    "dense_chunk_best5": -3.6183,
}
UNANSWERED_THRESHOLD = 0.8264
