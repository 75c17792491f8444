"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54707 candidate sentences. Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 58.3%, recall 31.8%; answerable questions wrongly refused 3.2%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.5% of the answerable and 27.7% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 45.2%, recall 15.9%, 2.8% wrongly refused.
"""

BIAS = -5.6684
WEIGHTS = {
    "dense": 3.5350,
    "dense_chunk": 1.0655,
    "lexical": 0.0629,
    "lexical_all": -0.5796,
    "lexical_asked": 2.1083,
    "lexical_context": 1.4025,
    "chunk_rank": 0.6342,
    "unknown_share": 0.7318,
    "answer_type": 1.0879,
    "dense_gap": 1.7675,
    "lexical_gap": 0.0629,
    "previous_article": 1.0582,
    "dense_context": 1.1847,
    "article_coverage": 1.7890,
    "date_match": 1.1085,
    "lexical_names": 0.3374,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.39
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 4.7403
UNANSWERED_WEIGHTS = {
    "best_logit": -0.3492,
    "best3_probability": -0.3886,
    "spread": -6.4152,
    "dense_max": -0.5673,
    "lexical_asked_max": -0.5571,
    "lexical_context_max": 1.3128,
    "article_coverage_max": -0.9568,
    "unknown_share": -1.6458,
    "answer_type_best5": 1.7345,
    "answer_type_best": -0.8833,
    "dense_chunk_best5": -5.3269,
}
UNANSWERED_THRESHOLD = 0.8477
