"""A generated court practice direction (fpdf2): a title page numbered 'i', then body pages '1', '2', '3' with a
running header and page numbers, each page holding its own numbered paragraphs; the tests know where every
sentence is printed (page, printed label and the baseline of its first line).

Used by tests/test_pdfpage.py and tests/test_browser_pdfpage.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HEADER = "Practice Direction PD-7/2026 of the High Court of Zembla on artificial intelligence"
TITLE = "Practice Direction on the use of artificial intelligence in the courts of Zembla"
# (printed page label, [(heading, [paragraph, ...])])
BODY: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("1", [("1. Scope", [
        ("This practice direction applies to every judge, registrar and clerk of the High Court of Zembla who uses "
         "an artificial intelligence tool in connection with a case."),
        "It takes effect on 1 March 2026 and replaces the interim note on automated tools issued in 2024.",
    ])]),
    ("2", [("2. Generative tools", [
        ("A judge who uses a generative chatbot while preparing a judgment must disclose that use in the final "
         "paragraph of the judgment, naming the tool and the task for which it was used."),
        "No chatbot may be given the names of parties, witnesses or minors, nor any document filed under seal.",
        ("The Registrar of the High Court keeps a register of the approved tools and publishes it on the first "
         "working day of every quarter."),
    ])]),
    ("3", [("3. Review", [
        ("The Judicial Studies Board of Zembla reviews this direction every eighteen months and reports to the "
         "Chief Justice on the errors found in drafts produced with automated tools."),
    ])]),
]


@dataclass
class CourtFacts:
    """Where the generated document printed each sentence: sentence -> (1-based PDF page, label, top y in pt)."""

    pages: int = 0
    where: dict[str, tuple[int, str, float]] = field(default_factory=dict)
    page_height: float = 841.89


def make_court_pdf(path: Path) -> CourtFacts:
    """Write the practice direction to `path` and say where each of its sentences is printed."""
    from fpdf import FPDF

    facts = CourtFacts()
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_title(TITLE)
    width, height = 595.28, 841.89
    pdf.add_page()
    pdf.set_page_label("r")
    pdf.set_font("Helvetica", "B", 17)
    pdf.text(56, 220, "Practice Direction PD-7/2026")
    pdf.set_font("Helvetica", "", 12)
    pdf.text(56, 250, "on the use of artificial intelligence in the courts of Zembla")
    pdf.text(56, height - 50, "i")
    for n, (label, sections) in enumerate(BODY):
        pdf.add_page()
        if n == 0:
            pdf.set_page_label("D", label_start=1)
        pdf.set_font("Helvetica", "I", 8)
        pdf.text(56, 40, HEADER)
        pdf.set_font("Helvetica", "", 9)
        pdf.text(width - 70, height - 40, label)
        y = 90.0
        for heading, paragraphs in sections:
            pdf.set_font("Helvetica", "B", 12)
            pdf.text(56, y, heading)
            y += 22
            pdf.set_font("Helvetica", "", 11)
            for para in paragraphs:
                facts.where[para] = (pdf.page, label, y - 11)
                for line in _wrap(pdf, para, width - 2 * 56):
                    pdf.text(56, y, line)
                    y += 15
                y += 9
    pdf.output(str(path))
    facts.pages = pdf.page
    return facts


def _wrap(pdf: object, text: str, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if pdf.get_string_width(trial) <= width:  # type: ignore[attr-defined]
            line = trial
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines
