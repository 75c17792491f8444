"""Weights of the evidence model and the abstention threshold.

Fitted by `eval/fit.py` on dev_v2.jsonl + dev_v3.jsonl (352 questions) in 2 store(s): articles, distractors;
54467 candidate sentences. The question-level model also on dev_v4.jsonl (162 questions).
Whether to answer, on dev: vetoes and question-level model, out of fold: abstention precision 69.8%, recall 25.6%; answerable questions wrongly refused 3.3%.
The question-level model alone refuses, out of fold over the dev questions the
vetoes pass, 2.4% of the answerable and 19.4% of the unanswerable ones. The quoting threshold alone, as the decision, would give precision 44.1%, recall 17.0%, 3.1% wrongly refused.
"""

BIAS = -5.5385
WEIGHTS = {
    "dense": 3.4753,
    "dense_chunk": 1.0228,
    "lexical": 0.0431,
    "lexical_all": -0.6192,
    "lexical_asked": 2.1665,
    "lexical_context": 1.5550,
    "chunk_rank": 0.6044,
    "unknown_share": 0.6627,
    "answer_type": 1.1346,
    "dense_gap": 1.8715,
    "lexical_gap": 0.0431,
    "previous_article": 1.0569,
    "dense_context": 1.2176,
    "article_coverage": 1.6700,
    "date_match": 0.9859,
    "lexical_names": 0.2044,
}
# Quote no sentence below half this (and with CITEDESK_MIN_RELEVANCE unset, the
# question-level model below decides whether to answer at all).
THRESHOLD = 0.39
# The question-level model (QUESTION_FEATURES): abstain when its probability is above this.
UNANSWERED_BIAS = 1.4712
UNANSWERED_WEIGHTS = {
    "best_logit": -0.4822,
    "best3_probability": -0.4630,
    "spread": 1.0720,
    "dense_max": 0.4800,
    "lexical_asked_max": -0.1173,
    "lexical_context_max": -0.3631,
    "article_coverage_max": 1.2461,
    "unknown_share": -1.8273,
    "answer_type_best5": 1.8366,
    "answer_type_best": -0.7357,
    "dense_chunk_best5": -3.6245,
}
UNANSWERED_THRESHOLD = 0.8276
