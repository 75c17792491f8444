"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54633 candidate sentences. The question-level model also on dev_v4.jsonl (162 questions).
Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 65.3%, recall 20.9%; answerable questions wrongly refused 3.3%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.4% of the answerable and 17.4% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 43.8%, recall 15.9%, 2.9% wrongly refused.
"""

BIAS = -5.6969
WEIGHTS = {
    "dense": 3.5784,
    "dense_chunk": 1.1022,
    "lexical": 0.0326,
    "lexical_all": -0.5884,
    "lexical_asked": 2.1069,
    "lexical_context": 1.4921,
    "chunk_rank": 0.6011,
    "unknown_share": 0.7121,
    "answer_type": 1.0998,
    "dense_gap": 1.8000,
    "lexical_gap": 0.0326,
    "previous_article": 1.0166,
    "dense_context": 1.2114,
    "article_coverage": 1.7979,
    "date_match": 1.1141,
    "lexical_names": 0.2108,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.37
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 1.6515
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4602,
    "best3_probability": -0.4107,
    "spread": 0.9748,
    "dense_max": 0.3398,
    "lexical_asked_max": -0.2601,
    "lexical_context_max": -0.2447,
    "article_coverage_max": 1.1976,
    "unknown_share": -2.0249,
    "answer_type_best5": 1.7313,
    "answer_type_best": -0.8088,
    "dense_chunk_best5": -3.5844,
}
UNANSWERED_THRESHOLD = 0.8247
