"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54622 candidate sentences. Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 60.4%, recall 33.0%; answerable questions wrongly refused 3.1%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.5% of the answerable and 28.0% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 43.8%, recall 15.9%, 2.9% wrongly refused.
"""

BIAS = -5.6883
WEIGHTS = {
    "dense": 3.5950,
    "dense_chunk": 1.0934,
    "lexical": 0.0350,
    "lexical_all": -0.5741,
    "lexical_asked": 2.1076,
    "lexical_context": 1.4781,
    "chunk_rank": 0.5983,
    "unknown_share": 0.7188,
    "answer_type": 1.0897,
    "dense_gap": 1.7876,
    "lexical_gap": 0.0350,
    "previous_article": 1.0404,
    "dense_context": 1.2032,
    "article_coverage": 1.7912,
    "date_match": 1.1059,
    "lexical_names": 0.2108,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.37
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 4.2662
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4122,
    "best3_probability": -0.4634,
    "spread": -6.6475,
    "dense_max": -0.2468,
    "lexical_asked_max": -0.4474,
    "lexical_context_max": 1.5798,
    "article_coverage_max": -0.8645,
    "unknown_share": -1.5562,
    "answer_type_best5": 1.7165,
    "answer_type_best": -0.8071,
    "dense_chunk_best5": -5.1207,
}
UNANSWERED_THRESHOLD = 0.8606
