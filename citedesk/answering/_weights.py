"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54475 candidate sentences. The question-level model also on dev_v4.jsonl (162 questions).
Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 67.9%, recall 23.5%; answerable questions wrongly refused 3.3%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.4% of the answerable and 17.9% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 46.9%, recall 17.0%, 2.8% wrongly refused.
"""

BIAS = -5.5430
WEIGHTS = {
    "dense": 3.4825,
    "dense_chunk": 1.0136,
    "lexical": 0.0360,
    "lexical_all": -0.6121,
    "lexical_asked": 2.1634,
    "lexical_context": 1.5504,
    "chunk_rank": 0.5932,
    "unknown_share": 0.6624,
    "answer_type": 1.1198,
    "dense_gap": 1.8643,
    "lexical_gap": 0.0360,
    "previous_article": 1.0221,
    "dense_context": 1.2093,
    "article_coverage": 1.7114,
    "date_match": 0.9763,
    "lexical_names": 0.1976,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.38
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 1.6027
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4688,
    "best3_probability": -0.4622,
    "spread": 1.1459,
    "dense_max": 0.6580,
    "lexical_asked_max": -0.1621,
    "lexical_context_max": -0.3464,
    "article_coverage_max": 1.1352,
    "unknown_share": -1.8722,
    "answer_type_best5": 1.7895,
    "answer_type_best": -0.7557,
    "dense_chunk_best5": -3.8447,
}
UNANSWERED_THRESHOLD = 0.8261
