"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54932 candidate sentences. Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 60.4%, recall 33.0%; answerable questions wrongly refused 3.1%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.5% of the answerable and 28.9% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 47.2%, recall 19.3%, 3.1% wrongly refused.
"""

BIAS = -5.7165
WEIGHTS = {
    "dense": 3.2910,
    "dense_chunk": 1.1325,
    "lexical": 0.2417,
    "lexical_all": -0.4346,
    "lexical_asked": 1.6817,
    "lexical_context": 1.3164,
    "chunk_rank": 0.8731,
    "unknown_share": 0.7330,
    "answer_type": 1.2246,
    "dense_gap": 1.8847,
    "lexical_gap": 0.2417,
    "previous_article": 1.2203,
    "dense_context": 1.5586,
    "article_coverage": 1.8429,
    "date_match": 0.8692,
    "previous_quote": -0.4492,
    "lexical_followup": 0.7112,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.45
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 3.9746
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4262,
    "best3_probability": -0.7038,
    "spread": -5.8601,
    "dense_max": -0.2117,
    "lexical_asked_max": -0.3640,
    "lexical_context_max": 0.9546,
    "article_coverage_max": -0.3847,
    "unknown_share": -1.6340,
    "answer_type_best5": 1.8180,
    "answer_type_best": -0.8348,
    "dense_chunk_best5": -4.4771,
}
UNANSWERED_THRESHOLD = 0.8478
