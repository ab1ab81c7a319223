"""The eval suite: gold cases through one Assistant, scored, gated on thresholds, reported.

By concern: `cases` (the gold cases file), `records` and `metrics` (pure metrics that return a
score with its counts), `support` (whether cited passages support a sentence), `gate` (thresholds),
`results` and `scoring` (case verdicts and every metric over a run), `runner` (`run_eval`),
`poisoned` (the index with hostile documents), `tables`,
`charts` and `report` (text, PNG and HTML output), `command` (`toolkit-assistant eval`) and
`compare` (`toolkit-assistant compare-embeddings`).
"""
