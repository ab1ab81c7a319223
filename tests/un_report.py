"""A generated UN-style report PDF: two columns, running header and footer, footnotes, roman-numbered front
matter, a table of contents, hyphenated words. Laid out line by line with fpdf2, so the test knows every fact.

Used by tests/test_pdftext.py, tests/test_pdfpage.py and tests/test_ingest_progress.py (`make_un_report(path, chapters=N)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HEADER = "A/HRC/99/1 Report of the Special Rapporteur on artificial intelligence and justice"
SYMBOL = "GE.26-00001"

# (chapter heading, [(sub-heading or "", [paragraph, ...])]); a footnote is written as "text{{note}}"
CHAPTERS: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("Introduction", [("", [
        "The present report is submitted pursuant to resolution 52/7 of the Human Rights Council. It describes how "
        "courts in many regions have begun to use artificial intelligence systems for administrative work, for legal "
        "research and for drafting.{{See Human Rights Council resolution 52/7, adopted in 2023.}}",
        "The Special Rapporteur held consultations with judges, lawyers and court administrators from forty-two "
        "countries between January and June 2026.",
    ])]),
    ("Use of artificial intelligence in courts", [
        ("Administrative tools", [
            "Court registries increasingly rely on automated transcription of hearings. Transcription tools reduced "
            "the waiting time for records of hearings from six weeks to four days in the courts consulted.",
            "Case-allocation software distributes new cases among judges according to workload and specialisation; "
            "its rules should be published so that parties can verify that allocation is random.{{Publication of "
            "allocation rules is recommended by the Consultative Council of European Judges.}}",
        ]),
        ("Generative tools", [
            "Judges who use generative chatbots to draft a judgment must check every citation that the chatbot "
            "produces, because such tools invent case law that does not exist.",
            "No judicial decision should be delegated to an automated system; the judge remains accountable for "
            "the reasoning and for the outcome of every case.",
        ]),
    ]),
    ("Risks for fair trial rights", [("", [
        "Opaque risk-assessment algorithms used in criminal proceedings can entrench discrimination against "
        "minorities, which is incompatible with the principle of equality of arms.{{Article 14 of the International "
        "Covenant on Civil and Political Rights guarantees equality before courts and tribunals.}}",
        "Defendants should have the right to know when an algorithm contributed to a decision about their liberty, "
        "and to contest its output before an independent judge.",
    ])]),
    ("Conclusions and recommendations", [("", [
        "The Special Rapporteur recommends that States adopt binding rules on the procurement of artificial "
        "intelligence by courts, including independent audits before deployment.",
        "Judicial training institutions should offer every judge a course on the capabilities and the limits of "
        "artificial intelligence by 2028.",
    ])]),
]
def roman(n: int) -> str:
    """1 -> 'I', 14 -> 'XIV'."""
    out = ""
    for value, digits in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                          (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += digits
            n -= value
    return out
# words the layout splits at a line end, as a typesetter would
HYPHENATE = {
    "administrative": ("adminis", "trative"),
    "transcription": ("tran", "scription"),
    "discrimination": ("discrimi", "nation"),
    "institutions": ("institu", "tions"),
    "consultations": ("consulta", "tions"),
    "specialisation": ("speciali", "sation"),
    "intelligence": ("intelli", "gence"),
    "independent": ("indepen", "dent"),
}


@dataclass
class ReportFacts:
    """What the generated report holds, for tests to assert against."""

    pages: int = 0
    front_pages: int = 0
    headings: list[tuple[str, str]] = field(default_factory=list)  # (number, title) as printed
    paragraphs: dict[int, str] = field(default_factory=dict)  # paragraph number -> text (without note markers)
    paragraph_pages: dict[int, str] = field(default_factory=dict)  # paragraph number -> printed page label
    footnotes: list[tuple[int, str, str]] = field(default_factory=list)  # (marker, text, printed page label)
    hyphenated: list[str] = field(default_factory=list)  # words split across lines


def make_un_report(path: Path, *, chapters: int = 1, outline: bool = False) -> ReportFacts:
    """Write the report to `path`, its chapters repeated `chapters` times (numbering continues), and say what it holds."""
    from fpdf import FPDF

    facts = ReportFacts()
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margins(56, 56, 56)
    width, height = 595.28, 841.89
    col_gap = 18
    col_w = (width - 2 * 56 - col_gap) / 2
    top, bottom = 96.0, height - 86.0
    body_size, note_size, lead = 10.0, 7.5, 13.0
    # front matter: title page and contents, numbered i, ii
    pdf.add_page()
    pdf.set_page_label("r")
    pdf.set_font("Helvetica", "B", 18)
    pdf.text(56, 200, "Artificial intelligence and the right to a fair trial")
    pdf.set_font("Helvetica", "", 11)
    pdf.text(56, 230, "Report of the Special Rapporteur on artificial intelligence and justice")
    pdf.text(56, height - 60, "i")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.text(56, 90, "Contents")
    pdf.set_font("Helvetica", "", 10)
    y = 120.0
    entries = []
    for rep in range(chapters):
        for ci, (title, subs) in enumerate(CHAPTERS):
            n = rep * len(CHAPTERS) + ci
            entries.append(f"{roman(n + 1)}. {title}")
            entries += [f"    {chr(65 + si)}. {s}" for si, (s, _) in enumerate(subs) if s]
    for k, entry in enumerate(entries[:40]):
        dots = " ." * max(3, int((col_w * 2 - pdf.get_string_width(entry)) / pdf.get_string_width(" .")) - 4)
        pdf.text(56, y, f"{entry}{dots} {k // 3 + 1}")
        y += 14
    pdf.text(56, height - 60, "ii")
    facts.front_pages = 2
    state = {"page": 0, "col": 0, "y": top, "notes": []}
    note_no = [0]
    para_no = [0]

    def new_page() -> None:
        _flush_notes()
        pdf.add_page()
        state["page"] += 1
        if state["page"] == 1:
            pdf.set_page_label("D", label_start=1)
        state["col"], state["y"] = 0, top
        pdf.set_font("Helvetica", "I", 8)
        pdf.text(56, 60, HEADER)
        pdf.set_font("Helvetica", "", 8)
        pdf.text(56, height - 40, SYMBOL)
        pdf.text(width - 70, height - 40, str(state["page"]))

    def _flush_notes() -> None:
        if not state["notes"] or state["page"] == 0:
            return
        y = bottom + 12
        pdf.set_font("Helvetica", "", note_size)
        for marker, text in state["notes"]:
            for i, line in enumerate(_wrap(pdf, text, width - 2 * 56 - 12)):
                pdf.text(56 if i == 0 else 68, y, f"{marker} {line}" if i == 0 else line)
                y += note_size + 2
        state["notes"] = []

    def x_col() -> float:
        return 56 + state["col"] * (col_w + col_gap)

    def advance(dy: float) -> None:
        state["y"] += dy
        if state["y"] > bottom - len(state["notes"]) * 20:
            if state["col"] == 0:
                state["col"], state["y"] = 1, top
            else:
                new_page()

    def write_para(text: str, *, number: int | None = None) -> None:
        parts = text.split("{{")
        body = parts[0]
        notes = []
        for p in parts[1:]:
            note, rest = p.split("}}", 1)
            note_no[0] += 1
            notes.append((note_no[0], note))
            body += f"\x00{note_no[0]}\x00" + rest
        prefix = f"{number}. " if number is not None else ""
        pdf.set_font("Helvetica", "", body_size)
        lines = _wrap(pdf, prefix + body, col_w, hyphenate=facts.hyphenated)
        for line in lines:
            x = x_col()
            # a note marker is set small and raised
            pieces = line.split("\x00")
            for i, piece in enumerate(pieces):
                if i % 2 == 1:
                    pdf.set_font("Helvetica", "", 6)
                    pdf.text(x, state["y"] - 3.5, piece)
                    x += pdf.get_string_width(piece)
                    pdf.set_font("Helvetica", "", body_size)
                    for marker, note in notes:
                        if str(marker) == piece:
                            state["notes"].append((marker, note))
                            facts.footnotes.append((marker, note, str(state["page"])))
                else:
                    pdf.text(x, state["y"], piece)
                    x += pdf.get_string_width(piece)
            advance(lead)
        advance(lead * 0.6)

    new_page()
    for rep in range(chapters):
        for ci, (title, subs) in enumerate(CHAPTERS):
            n = rep * len(CHAPTERS) + ci
            number = roman(n + 1)
            if state["y"] > bottom - 80:
                advance(bottom)
            pdf.set_font("Helvetica", "B", 13)
            for line in _wrap(pdf, f"{number}. {title}", col_w):
                pdf.text(x_col(), state["y"], line)
                advance(17)
            if outline:
                pdf.start_section(f"{number}. {title}")
            facts.headings.append((number, title))
            advance(4)
            for si, (sub, paras) in enumerate(subs):
                if sub:
                    pdf.set_font("Helvetica", "B", 11)
                    pdf.text(x_col(), state["y"], f"{chr(65 + si)}. {sub}")
                    facts.headings.append((f"{number}.{chr(65 + si)}", sub))
                    advance(16)
                for para in paras:
                    para_no[0] += 1
                    facts.paragraphs[para_no[0]] = "".join(p.split("}}", 1)[-1] if "}}" in p else p for p in para.split("{{"))
                    facts.paragraph_pages[para_no[0]] = str(state["page"])
                    write_para(para, number=para_no[0])
    _flush_notes()
    pdf.output(str(path))
    facts.pages = facts.front_pages + state["page"]
    return facts


def _wrap(pdf: object, text: str, width: float, *, hyphenate: list[str] | None = None) -> list[str]:
    """Break text into lines no wider than `width`, splitting the words of HYPHENATE at a line end."""
    measure = pdf.get_string_width  # type: ignore[attr-defined]
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if measure(trial.replace("\x00", "")) <= width:
            line = trial
            continue
        key = word.strip(".,;:()").lower()
        if hyphenate is not None and key in HYPHENATE and word.lower().startswith(HYPHENATE[key][0]):
            head, _tail = HYPHENATE[key]
            first = word[: len(head)] + "-"
            if measure(f"{line} {first}") <= width:
                lines.append(f"{line} {first}")
                line = word[len(head) :]
                hyphenate.append(key)
                continue
        lines.append(line)
        line = word
    if line:
        lines.append(line)
    return lines
