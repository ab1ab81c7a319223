"""A trainer's session pack on a topic, built only from the corpus and cited to it.

Every factual statement in a pack is an exact quotation of an indexed chunk with an [n] citation;
the rest (objectives, outline, discussion questions) is templated around section titles of the
cited chunks. By concern: `pack` (the pack's parts, as frozen dataclasses), `build` (asking the
corpus and assembling a pack), `markdown` (the pack as Markdown), `command` (`toolkit-assistant prepare`).
"""
