"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54430 candidate sentences. The question-level model also on dev_v4.jsonl (162 questions).
Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 77.0%, recall 32.9%; answerable questions wrongly refused 2.9%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.4% of the answerable and 20.7% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 52.5%, recall 23.9%, 3.1% wrongly refused.
"""

BIAS = -5.6011
WEIGHTS = {
    "dense": 3.4179,
    "dense_chunk": 1.0589,
    "lexical": 0.0313,
    "lexical_all": -0.7349,
    "lexical_asked": 2.0812,
    "lexical_context": 1.6625,
    "chunk_rank": 0.6147,
    "unknown_share": 0.6484,
    "answer_type": 1.1538,
    "dense_gap": 1.9268,
    "lexical_gap": 0.0313,
    "previous_article": 0.8812,
    "dense_context": 1.2879,
    "article_coverage": 1.8124,
    "date_match": 1.0138,
    "lexical_names": 0.1011,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.38
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 2.2535
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4278,
    "best3_probability": -0.2513,
    "spread": 0.0006,
    "dense_max": 0.2379,
    "lexical_asked_max": -0.3260,
    "lexical_context_max": -0.7442,
    "article_coverage_max": 1.2854,
    "unknown_share": -1.7626,
    "answer_type_best5": 1.5668,
    "answer_type_best": -0.6740,
    "dense_chunk_best5": -4.0142,
}
UNANSWERED_THRESHOLD = 0.8164
