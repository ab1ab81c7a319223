"""A session pack as HTML for the Prepare tab (pure; every piece of text escaped).

The same parts as the trainer's Markdown (toolkit_assistant.session.markdown), in the pack's language: the plan
as a table whose rows carry the activity's kind (`data-kind`), the key points, the case study (facts, decision,
lesson), the exercise, the discussion questions (each the passage it starts from, then the question), the reading
and the references that the [n] links point to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from toolkit_assistant.app.render import esc, safe_url, status_badge
from toolkit_assistant.session.markdown import clock
from toolkit_assistant.session.wording import Wording

if TYPE_CHECKING:
    from toolkit_assistant.session.pack import CaseItem, KeyPoint, SessionPack

PACK_CSS = """
.ta-pack h2 {margin-top: 1.1rem;} .ta-pack blockquote {margin: .2rem 0 .2rem 1rem;}
.ta-pack .ta-ref {font-size: .85rem;}
.ta-kind {display: inline-block; border-radius: 4px; padding: 0 .4em; font-size: .8rem; font-weight: 600;
  color: #fff; background: #4b5563; white-space: nowrap;}
.ta-kind-input {background: #1d4ed8;} .ta-kind-case_study {background: #7c2d12;}
.ta-kind-group_exercise {background: #15803d;} .ta-kind-plenary {background: #6d28d9;}
.ta-kind-opening, .ta-kind-wrap_up {background: #374151;} .ta-kind-break {background: #6b7280;}
.ta-scenario {border-left: 4px solid #15803d; padding: .3rem .6rem; background: var(--background-fill-secondary);}
.ta-pack .ta-q-quote {font-style: italic;}
"""


def _cite(refs: Sequence[int]) -> str:
    return "".join(f'<a href="#pack-ref-{n}">[{n}]</a>' for n in refs)


def _points(points: Sequence[KeyPoint]) -> str:
    return "<ul>" + "".join(f"<li>“{esc(p.text)}” {_cite(p.refs)}</li>" for p in points) + "</ul>"


def _case(case: CaseItem, w: Wording) -> str:
    out = [f"<h3>{esc(case.title)}</h3><p><em>{esc(w('headings.from'))}: {esc(case.doc_title)}</em></p>"]
    for key, points in (("facts", case.facts), ("decision", case.holding), ("lesson", case.lesson)):
        if points:
            out.append(f"<h4>{esc(w(f'headings.{key}'))}</h4>{_points(points)}")
    return "".join(out)


def render_pack(pack: SessionPack) -> str:
    """A session pack as HTML."""
    w = Wording(pack.language)
    out = [f'<div class="ta-pack" lang="{esc(pack.language)}"><h1>{esc(w("headings.pack", topic=pack.topic))}</h1>',
           f"<p><strong>{esc(w('headings.duration'))}:</strong> {esc(w('headings.minutes', minutes=pack.minutes))}"
           + (f" · <strong>{esc(w('headings.audience'))}:</strong> {esc(pack.audience)}" if pack.audience else "")
           + "</p>", f'<p class="ta-intro">{esc(w("headings.note"))}</p>']
    out += [f'<div class="ta-notice">{esc(n)}</div>' for n in pack.notices]
    out.append(f"<h2>{esc(w('headings.objectives'))}</h2><p>{esc(w('objectives.lead'))}</p><ol>")
    out += [f"<li>{esc(o.text)} {_cite(o.refs)}</li>" for o in pack.objectives]
    out.append(f"</ol><h2>{esc(w('headings.plan', minutes=pack.minutes))}</h2><div class='ta-scroll'>"
               f"<table class='ta-table ta-plan'><thead><tr><th>{esc(w('headings.time'))}</th>"
               f"<th>{esc(w('headings.min_col'))}</th><th>{esc(w('headings.activity'))}</th>"
               f"<th>{esc(w('headings.what_happens'))}</th><th>{esc(w('headings.passages'))}</th></tr></thead><tbody>")
    for it in pack.outline:
        kind = f'<span class="ta-kind ta-kind-{esc(it.kind)}">{esc(w(f"kinds.{it.kind}"))}</span>' if it.kind else ""
        out.append(f'<tr data-kind="{esc(it.kind)}"><td>{clock(it.start)}–{clock(it.start + it.minutes)}</td>'
                   f"<td>{it.minutes}</td><td>{kind}<br>{esc(it.title)}</td><td>{esc(it.detail)}</td>"
                   f"<td>{_cite(it.refs)}</td></tr>")
    out.append(f"</tbody></table></div><h2>{esc(w('headings.key_points'))}</h2>")
    for theme in pack.themes:
        out.append(f"<h3>{esc(theme.heading)}</h3>{_points(theme.points)}")
    study = pack.case_study
    out.append(f"<h2>{esc(w('headings.case_study'))}</h2>")
    out.append(_case(study, w) if study else f'<p class="ta-empty">{esc(w("headings.no_case"))}</p>')
    others = [c for c in pack.cases if c is not study]
    if others:
        out.append(f"<h2>{esc(w('headings.other_cases'))}</h2>" + "".join(_case(c, w) for c in others))
    if pack.exercise is not None:
        ex = pack.exercise
        out.append(f"<h2>{esc(w('headings.exercise'))}</h2><div class='ta-scenario'><p><strong>"
                   f"{esc(w('headings.scenario'))}:</strong> {esc(ex.scenario)}</p><p><em>{esc(w('exercise.note'))}"
                   f"</em></p></div><h4>{esc(w('headings.tasks'))}</h4><ol>"
                   + "".join(f"<li>{esc(t)}</li>" for t in ex.tasks)
                   + f"</ol><p>{esc(w('headings.exercise_passages'))}: {_cite(ex.refs)}</p>")
    out.append(f"<h2>{esc(w('headings.questions'))}</h2><ol class='ta-questions'>")
    for q in pack.questions:
        quote = f'<span class="ta-q-quote">“{esc(q.quote)}”</span> {_cite(q.refs)}<br>' if q.quote else ""
        out.append(f"<li>{quote}{esc(q.text)}</li>")
    out.append(f"</ol><h2>{esc(w('headings.reading'))}</h2><ul>")
    for r in pack.reading:
        url = safe_url(r.source_url)
        link = f' — <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>' if url else ""
        out.append(f"<li>{esc(r.title)} ({esc(r.year)}, {status_badge(r.status)}), {esc(r.where)}{link}</li>")
    out.append(f"</ul><h2>{esc(w('headings.references'))}</h2>")
    for ref in pack.references:
        url = safe_url(ref.source_url)
        link = f' · <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">source</a>' if url else ""
        out.append(f'<p class="ta-ref" id="pack-ref-{ref.n}"><strong>[{ref.n}]</strong> {esc(ref.title)}, '
                   f"{esc(ref.where)} · <code>{esc(ref.chunk_id)}</code>{link}<br>“{esc(ref.quote)}”</p>")
    out.append("</div>")
    return "".join(out)
