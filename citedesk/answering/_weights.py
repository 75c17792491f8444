"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54427 candidate sentences. The question-level model also on dev_v4.jsonl (162 questions).
Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 72.6%, recall 29.5%; answerable questions wrongly refused 3.3%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.4% of the answerable and 16.7% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 56.8%, recall 23.9%, 2.6% wrongly refused.
"""

BIAS = -5.5295
WEIGHTS = {
    "dense": 3.4493,
    "dense_chunk": 1.0232,
    "lexical": 0.0464,
    "lexical_all": -0.5906,
    "lexical_asked": 2.1571,
    "lexical_context": 1.5769,
    "chunk_rank": 0.6060,
    "unknown_share": 0.6748,
    "answer_type": 1.1292,
    "dense_gap": 1.8472,
    "lexical_gap": 0.0464,
    "previous_article": 1.0702,
    "dense_context": 1.2169,
    "article_coverage": 1.6563,
    "date_match": 0.9809,
    "lexical_names": 0.1880,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.38
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 2.1126
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4292,
    "best3_probability": -0.3197,
    "spread": 0.3676,
    "dense_max": 0.4425,
    "lexical_asked_max": -0.3009,
    "lexical_context_max": -0.6971,
    "article_coverage_max": 1.2726,
    "unknown_share": -1.8082,
    "answer_type_best5": 1.5367,
    "answer_type_best": -0.6749,
    "dense_chunk_best5": -4.0051,
}
UNANSWERED_THRESHOLD = 0.8252
