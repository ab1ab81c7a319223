"""A trainer's session pack on a topic, built only from the corpus and cited to it.

Every factual statement in a pack is an exact quotation of an indexed chunk with an [n] citation, one the
verifier supports; the rest (objectives, activity instructions, question stems, the exercise scenario) is the
pack's own framing, from text/<lang>.toml, and states no fact. By concern: `pack` (the parts, as frozen
dataclasses), `points` (key points found and sorted into themes), `cases` (cases told as facts, decision, lesson),
`framing` (objectives, discussion questions, exercise), `plan` (the timed activities), `build` (putting it
together), `wording` (the language files and the cues that read corpus sentences), `markdown` (the trainer's
pack), `command` (`toolkit-assistant prepare`).
"""
