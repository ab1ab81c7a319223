"""The Gradio app: Ask (judges), Prepare a session (trainers), Evaluate (evaluators), Library.

All document text is HTML-escaped before it reaches the page; chat messages are also escaped for
Markdown, so a document holding ``<script>`` or Markdown syntax is shown as plain text. The pure
helpers at the top (rendering, follow-up rewriting, auth parsing) need no Gradio and are tested
on their own; `build_ui` wires them to components; `launch` opens the index and serves the app.

The interface text (UI_TEXT: English, French, Spanish) follows the browser's language through
Gradio's I18n; documents and answers are never translated. With an LLM backend the Ask tab shows
the model's draft as it streams, marked unverified, then the verified answer with its sources.
"""

from __future__ import annotations

import html
import json
import os
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit_assistant.config import REPO_ROOT, Settings, apply_offline_env
from toolkit_assistant.errors import IndexNotBuiltError, InputError, ToolkitError

if TYPE_CHECKING:
    import gradio as gr

    from toolkit_assistant.pipeline import Assistant
    from toolkit_assistant.session import SessionPack
    from toolkit_assistant.types import Answer, Citation

APP_TITLE = "toolkit-assistant: AI and the rule of law"
GOLD_PATH = REPO_ROOT / "evals" / "gold.jsonl"
BACKENDS = ["extractive", "llamacpp", "ollama", "openai"]
CASE_CATEGORIES = ["answerable", "out_of_scope", "false_premise", "adversarial", "multilingual"]
UPLOAD_TYPES = [".pdf", ".md", ".markdown", ".txt"]
EXAMPLE_QUESTIONS = [
    "May a judge use ChatGPT to help draft a judgment?",
    "What did the court decide in State v. Loomis?",
    "What happened in Mata v. Avianca?",
    "What is algorithmic bias?",
    "What do UNESCO's Guidelines say about human oversight of AI in courts?",
    "What share of judicial operators have used AI chatbots for work?",
]
EXAMPLE_TOPICS = [["algorithmic bias", 90, "first-instance judges"],
                  ["generative AI in courts", 60, "court staff"],
                  ["human oversight", 45, ""]]
STATUS_HELP = {
    "draft": "a draft: the final text may differ",
    "final": "the final, adopted text",
    "summary": "a study summary written for this project, not the official text",
}
# Words that make a short follow-up depend on the previous question ("When was it decided?").
_ANAPHORA = frozenset(
    "it its it's they them their theirs this that these those he him his she her hers there such "
    "same former latter above".split()
)
_FOLLOWUP_MAX_WORDS = 12
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")

CSS = """
.ta-intro {font-size: 0.95rem; margin: 0 0 .4rem 0; color: var(--body-text-color); opacity: .8;}
.ta-sources {display: flex; flex-direction: column; gap: .75rem;}
.ta-source {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .75rem;
  background: var(--background-fill-secondary);}
.ta-source-head {font-weight: 600; margin-bottom: .2rem;}
.ta-n {display: inline-block; min-width: 2em; color: var(--color-accent);}
.ta-meta {font-size: .85rem; color: var(--body-text-color-subdued); margin-bottom: .35rem;}
.ta-chunk {font-size: .9rem; line-height: 1.45; margin: 0; padding: .4rem .6rem; white-space: pre-wrap;
  border-left: 3px solid var(--border-color-accent); background: var(--background-fill-primary);}
.ta-chunk mark {background: #fde68a; color: #111; padding: 0 .1em;}
.ta-status {border-radius: 4px; padding: 0 .35em; font-size: .8rem; font-weight: 600; color: #fff;}
.ta-status-draft {background: #b45309;} .ta-status-final {background: #15803d;}
.ta-status-summary {background: #1d4ed8;} .ta-status-other {background: #6b7280;}
.ta-declined {border: 1px solid #b45309; border-radius: 8px; padding: .6rem .75rem;}
.ta-notice {border-left: 4px solid #b45309; padding: .3rem .6rem; margin-bottom: .5rem;
  background: var(--background-fill-secondary);}
.ta-error {border-left: 4px solid #b91c1c; padding: .3rem .6rem; background: var(--background-fill-secondary);}
.ta-empty {color: var(--body-text-color-subdued);}
.ta-table {border-collapse: collapse; width: 100%; font-size: .9rem;}
.ta-table th, .ta-table td {border-bottom: 1px solid var(--border-color-primary); padding: .3rem .5rem;
  text-align: left; vertical-align: top;}
.ta-pass {color: #15803d; font-weight: 600;} .ta-fail {color: #b91c1c; font-weight: 600;}
.ta-pack h2 {margin-top: 1.1rem;} .ta-pack blockquote {margin: .2rem 0 .2rem 1rem;}
.ta-pack .ta-ref {font-size: .85rem;}
"""

# ---------------------------------------------------------------- interface text (en, fr, es)

UI_LANGUAGES = ("en", "fr", "es")
# The app's own labels, buttons, tab names, placeholders and help texts, by key and language. build_ui passes
# them to Gradio's I18n, so the browser shows the language it prefers (English when it prefers another).
# Document text and answers are never translated. A text holding HTML must hold the same tags in every language.
UI_TEXT: dict[str, dict[str, str]] = {
    "app_intro": {
        "en": "What UNESCO's materials on AI and the rule of law say, with a checkable source for every sentence. "
              "Runs on this machine only; nothing is sent elsewhere.",
        "fr": "Ce que disent les documents de l'UNESCO sur l'IA et l'état de droit, avec une source vérifiable pour "
              "chaque phrase. Fonctionne uniquement sur cette machine ; rien n'est envoyé ailleurs.",
        "es": "Lo que dicen los materiales de la UNESCO sobre la IA y el Estado de derecho, con una fuente verificable "
              "para cada frase. Funciona solo en este equipo; no se envía nada a ningún otro lugar.",
    },
    # --- Ask
    "tab_ask": {"en": "Ask", "fr": "Poser une question", "es": "Preguntar"},
    "ask_intro": {
        "en": "Ask a question in plain words. Each sentence of the answer ends with a [n] marker; the Sources panel "
              "beside it shows that source's document, section, year and status, with the exact passage "
              "highlighted. When the materials do not cover a question, the assistant says so instead of guessing.",
        "fr": "Posez une question avec vos propres mots. Chaque phrase de la réponse se termine par un renvoi [n] ; "
              "le panneau Sources, à côté, indique le document, la section, l'année et le statut de cette source, "
              "avec le passage exact surligné. Lorsque les documents ne traitent pas une question, l'assistant le "
              "dit au lieu de deviner.",
        "es": "Haga una pregunta con sus propias palabras. Cada frase de la respuesta termina con una referencia "
              "[n]; el panel Fuentes, a su lado, muestra el documento, la sección, el año y el estado de esa fuente, "
              "con el pasaje exacto resaltado. Cuando los materiales no tratan una pregunta, el asistente lo dice en "
              "lugar de adivinar.",
    },
    "chat_label": {"en": "Conversation", "fr": "Conversation", "es": "Conversación"},
    "chat_placeholder": {
        "en": "Ask what the materials say, for example about ChatGPT in drafting judgments, or a case such as "
              "State v. Loomis.",
        "fr": "Demandez ce que disent les documents, par exemple sur l'usage de ChatGPT pour rédiger des jugements, "
              "ou sur une affaire comme State v. Loomis.",
        "es": "Pregunte qué dicen los materiales, por ejemplo sobre el uso de ChatGPT para redactar sentencias, o "
              "sobre un caso como State v. Loomis.",
    },
    "question_label": {"en": "Your question", "fr": "Votre question", "es": "Su pregunta"},
    "question_placeholder": {
        "en": "e.g. May a judge use ChatGPT to help draft a judgment?",
        "fr": "p. ex. Un juge peut-il utiliser ChatGPT pour l'aider à rédiger un jugement ?",
        "es": "p. ej., ¿Puede un juez usar ChatGPT para ayudar a redactar una sentencia?",
    },
    "ask_button": {"en": "Ask", "fr": "Demander", "es": "Preguntar"},
    "examples_label": {
        "en": "Example questions (click one)",
        "fr": "Exemples de questions (cliquez sur l'une d'elles)",
        "es": "Preguntas de ejemplo (haga clic en una)",
    },
    "topics_label": {
        "en": "Ask about a nearby topic instead",
        "fr": "Poser plutôt une question sur un sujet proche",
        "es": "Preguntar en su lugar sobre un tema cercano",
    },
    "new_conversation": {"en": "New conversation", "fr": "Nouvelle conversation", "es": "Nueva conversación"},
    "download_answer": {
        "en": "Download answer (Markdown)",
        "fr": "Télécharger la réponse (Markdown)",
        "es": "Descargar la respuesta (Markdown)",
    },
    "filters_accordion": {
        "en": "Filters and answer options",
        "fr": "Filtres et options de réponse",
        "es": "Filtros y opciones de respuesta",
    },
    "doc_filter_label": {
        "en": "Only these documents (empty: all)",
        "fr": "Seulement ces documents (vide : tous)",
        "es": "Solo estos documentos (vacío: todos)",
    },
    "kind_filter_label": {
        "en": "Only these kinds of document (empty: all)",
        "fr": "Seulement ces types de document (vide : tous)",
        "es": "Solo estos tipos de documento (vacío: todos)",
    },
    "backend_label": {
        "en": "How answers are written",
        "fr": "Mode de rédaction des réponses",
        "es": "Cómo se redactan las respuestas",
    },
    "backend_info": {
        "en": "extractive: quotes the materials (default, offline). The others use a language model if one is "
              "set up; their draft is shown as it is written, then checked against its sources.",
        "fr": "extractive : cite les documents (par défaut, hors ligne). Les autres utilisent un modèle de langage "
              "s'il est configuré ; son brouillon s'affiche pendant la rédaction, puis est vérifié par rapport à "
              "ses sources.",
        "es": "extractive: cita los materiales (predeterminado, sin conexión). Los demás usan un modelo de lenguaje "
              "si hay uno configurado; su borrador se muestra mientras se redacta y después se comprueba con sus "
              "fuentes.",
    },
    "markdown_accordion": {
        "en": "Answer as Markdown (to copy)",
        "fr": "Réponse en Markdown (à copier)",
        "es": "Respuesta en Markdown (para copiar)",
    },
    "markdown_label": {"en": "Answer with citations", "fr": "Réponse avec citations", "es": "Respuesta con citas"},
    "sources_heading": {"en": "Sources", "fr": "Sources", "es": "Fuentes"},
    "sources_empty": {
        "en": "Sources appear here after a question.",
        "fr": "Les sources s'affichent ici après une question.",
        "es": "Las fuentes aparecen aquí después de una pregunta.",
    },
    "draft_marker": {
        "en": "Unverified draft, checking citations...",
        "fr": "Brouillon non vérifié, vérification des citations...",
        "es": "Borrador no verificado, comprobando las citas...",
    },
    "sources_checking": {
        "en": "The model is writing a draft. When it is done, each sentence is checked against the source it "
              "cites; sentences that are not supported are removed and the sources appear here.",
        "fr": "Le modèle rédige un brouillon. Ensuite, chaque phrase est vérifiée par rapport à la source qu'elle "
              "cite ; les phrases non étayées sont retirées et les sources s'affichent ici.",
        "es": "El modelo está redactando un borrador. Después, cada frase se comprueba con la fuente que cita; las "
              "frases sin respaldo se eliminan y las fuentes aparecen aquí.",
    },
    "warn_empty_question": {
        "en": "Type a question first.",
        "fr": "Saisissez d'abord une question.",
        "es": "Escriba primero una pregunta.",
    },
    # --- Prepare a session
    "tab_prepare": {"en": "Prepare a session", "fr": "Préparer une session", "es": "Preparar una sesión"},
    "prepare_intro": {
        "en": "Give a topic (and, if you like, the length and audience). You get a session pack: learning "
              "objectives, a timed outline, key points with citations, cases to present, discussion questions and "
              "further reading, all drawn from the indexed materials. Download it as Markdown to edit.",
        "fr": "Indiquez un sujet (et, si vous le souhaitez, la durée et le public). Vous obtenez un dossier de "
              "session : objectifs pédagogiques, déroulé minuté, points clés avec citations, affaires à "
              "présenter, questions de discussion et lectures complémentaires, le tout tiré des documents "
              "indexés. Téléchargez-le en Markdown pour le modifier.",
        "es": "Indique un tema (y, si lo desea, la duración y el público). Obtendrá un material de sesión: "
              "objetivos de aprendizaje, un esquema con tiempos, puntos clave con citas, casos para presentar, "
              "preguntas para el debate y lecturas complementarias, todo extraído de los materiales indexados. "
              "Descárguelo en Markdown para editarlo.",
    },
    "topic_label": {"en": "Topic", "fr": "Sujet", "es": "Tema"},
    "topic_placeholder": {
        "en": "e.g. algorithmic bias",
        "fr": "p. ex. biais algorithmique",
        "es": "p. ej., sesgo algorítmico",
    },
    "minutes_label": {"en": "Duration (minutes)", "fr": "Durée (minutes)", "es": "Duración (minutos)"},
    "audience_label": {"en": "Audience (optional)", "fr": "Public (facultatif)", "es": "Público (opcional)"},
    "audience_placeholder": {
        "en": "e.g. first-instance judges",
        "fr": "p. ex. juges de première instance",
        "es": "p. ej., jueces de primera instancia",
    },
    "build_pack": {
        "en": "Build session pack",
        "fr": "Créer le dossier de session",
        "es": "Crear el material de sesión",
    },
    "download_pack": {
        "en": "Download pack (Markdown)",
        "fr": "Télécharger le dossier (Markdown)",
        "es": "Descargar el material (Markdown)",
    },
    "example_topics_label": {"en": "Example topics", "fr": "Exemples de sujets", "es": "Temas de ejemplo"},
    "pack_empty": {
        "en": "The session pack appears here.",
        "fr": "Le dossier de session s'affiche ici.",
        "es": "El material de sesión aparece aquí.",
    },
    "pack_accordion": {
        "en": "Pack as Markdown (to copy)",
        "fr": "Dossier en Markdown (à copier)",
        "es": "Material en Markdown (para copiar)",
    },
    "pack_md_label": {"en": "Session pack", "fr": "Dossier de session", "es": "Material de sesión"},
    # --- Evaluate
    "tab_evaluate": {"en": "Evaluate", "fr": "Évaluer", "es": "Evaluar"},
    "evaluate_intro": {
        "en": "Run the gold questions (all, or some categories or ids) and compare the metrics with their targets. "
              "Or add a question with the facts its answer must hold and run it at once.",
        "fr": "Lancez les questions de référence (toutes, ou certaines catégories ou certains identifiants) et "
              "comparez les métriques à leurs cibles. Ou ajoutez une question avec les faits que sa réponse doit "
              "contenir, et lancez-la aussitôt.",
        "es": "Ejecute las preguntas de referencia (todas, o algunas categorías o identificadores) y compare las "
              "métricas con sus objetivos. O añada una pregunta con los hechos que debe contener su respuesta y "
              "ejecútela de inmediato.",
    },
    "categories_label": {
        "en": "Categories (empty: all)",
        "fr": "Catégories (vide : toutes)",
        "es": "Categorías (vacío: todas)",
    },
    "case_ids_label": {
        "en": "Case ids (empty: all)",
        "fr": "Identifiants des cas (vide : tous)",
        "es": "Identificadores de casos (vacío: todos)",
    },
    "eval_backend_label": {"en": "Backend", "fr": "Moteur de réponse", "es": "Motor de respuesta"},
    "run_eval": {"en": "Run evaluation", "fr": "Lancer l'évaluation", "es": "Ejecutar la evaluación"},
    "charts_label": {
        "en": "Charts (click to enlarge)",
        "fr": "Graphiques (cliquez pour agrandir)",
        "es": "Gráficos (haga clic para ampliar)",
    },
    "download_report": {
        "en": "Download report (HTML)",
        "fr": "Télécharger le rapport (HTML)",
        "es": "Descargar el informe (HTML)",
    },
    "download_results": {
        "en": "Download results (JSON)",
        "fr": "Télécharger les résultats (JSON)",
        "es": "Descargar los resultados (JSON)",
    },
    "add_case_accordion": {
        "en": "Add a question and run it now",
        "fr": "Ajouter une question et la lancer maintenant",
        "es": "Añadir una pregunta y ejecutarla ahora",
    },
    "new_question_label": {"en": "Question", "fr": "Question", "es": "Pregunta"},
    "facts_label": {
        "en": "Expected facts: one a line, each a case-insensitive regular expression the answer must match "
              "(e.g. 13 July 2016)",
        "fr": "Faits attendus : un par ligne, chacun une expression régulière (sans distinction de casse) que la "
              "réponse doit contenir (p. ex. 13 July 2016)",
        "es": "Hechos esperados: uno por línea, cada uno una expresión regular (sin distinguir mayúsculas) que la "
              "respuesta debe contener (p. ej., 13 July 2016)",
    },
    "category_label": {"en": "Category", "fr": "Catégorie", "es": "Categoría"},
    "sections_label": {
        "en": "Expected sections (optional, comma-separated <doc_id>:<section>, e.g. ai-court-cases:2)",
        "fr": "Sections attendues (facultatif, <doc_id>:<section> séparés par des virgules, p. ex. ai-court-cases:2)",
        "es": "Secciones esperadas (opcional, <doc_id>:<section> separados por comas, p. ej., ai-court-cases:2)",
    },
    "refuse_label": {
        "en": "The assistant must decline this question",
        "fr": "L'assistant doit refuser de répondre à cette question",
        "es": "El asistente debe negarse a responder a esta pregunta",
    },
    "add_case_button": {"en": "Add and run", "fr": "Ajouter et lancer", "es": "Añadir y ejecutar"},
    # --- Library
    "tab_library": {"en": "Library", "fr": "Bibliothèque", "es": "Biblioteca"},
    "library_intro": {
        "en": "The documents in the index, with their metadata. The status tells a draft from a final text and "
              "from a study summary written for this project.",
        "fr": "Les documents de l'index, avec leurs métadonnées. Le statut distingue un projet d'un texte définitif "
              "et d'un résumé d'étude rédigé pour ce projet.",
        "es": "Los documentos del índice, con sus metadatos. El estado distingue un borrador de un texto definitivo "
              "y de un resumen de estudio redactado para este proyecto.",
    },
    "refresh_list": {"en": "Refresh list", "fr": "Actualiser la liste", "es": "Actualizar la lista"},
    "upload_help": {
        "en": "Add documents: PDF, Markdown or text. Markdown files may carry a front-matter block (id, title, "
              "year, status, kind, source_url). Nothing already in the index is removed. Size limit per file:",
        "fr": "Ajouter des documents : PDF, Markdown ou texte. Les fichiers Markdown peuvent comporter un bloc "
              "d'en-tête (id, title, year, status, kind, source_url). Rien de ce que l'index contient déjà n'est "
              "supprimé. Taille maximale par fichier :",
        "es": "Añadir documentos: PDF, Markdown o texto. Los archivos Markdown pueden llevar un bloque de metadatos "
              "inicial (id, title, year, status, kind, source_url). No se elimina nada de lo que ya contiene el "
              "índice. Tamaño máximo por archivo:",
    },
    "files_label": {"en": "Files to add", "fr": "Fichiers à ajouter", "es": "Archivos para añadir"},
    "ingest_button": {"en": "Add to the index", "fr": "Ajouter à l'index", "es": "Añadir al índice"},
    "uploads_off": {
        "en": "Adding documents from the browser is turned off on this server. An administrator can turn it on "
              "with <code>TOOLKIT_ALLOW_UPLOADS=true</code>, or add files on the server with "
              "<code>toolkit-assistant ingest PATH</code>.",
        "fr": "L'ajout de documents depuis le navigateur est désactivé sur ce serveur. Un administrateur peut "
              "l'activer avec <code>TOOLKIT_ALLOW_UPLOADS=true</code>, ou ajouter des fichiers sur le serveur avec "
              "<code>toolkit-assistant ingest PATH</code>.",
        "es": "La adición de documentos desde el navegador está desactivada en este servidor. Un administrador "
              "puede activarla con <code>TOOLKIT_ALLOW_UPLOADS=true</code>, o añadir archivos en el servidor con "
              "<code>toolkit-assistant ingest PATH</code>.",
    },
}


def ui_translations() -> dict[str, dict[str, str]]:
    """UI_TEXT by language, the shape gr.I18n takes: {"en": {key: text}, "fr": {...}, "es": {...}}."""
    return {lang: {key: texts[lang] for key, texts in UI_TEXT.items() if lang in texts} for lang in UI_LANGUAGES}


def ui_text(key: str, lang: str = "en") -> str:
    """One interface text in a language (English when that language has none).

    Raises:
        KeyError: no interface text has this key (add it to UI_TEXT).
    """
    texts = UI_TEXT[key]
    return texts.get(lang) or texts["en"]


def browser_language(accept_language: str | None) -> str:
    """The interface language for a browser's Accept-Language header: its most preferred of en/fr/es, else en."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                quality = float(m.group(1))
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in UI_LANGUAGES and quality > 0:
            ranked.append((-quality, i, primary))
    return min(ranked)[2] if ranked else "en"


# ---------------------------------------------------------------- pure helpers


def esc(text: object) -> str:
    """HTML-escape any value (None becomes an empty string)."""
    return html.escape("" if text is None else str(text), quote=True)


def md_escape(text: str) -> str:
    """Text that renders literally in Markdown: punctuation backslash-escaped, then HTML-escaped."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def safe_url(url: str) -> str:
    """The URL if it is http(s), else an empty string (no javascript: or data: links)."""
    url = (url or "").strip()
    return url if re.match(r"^https?://[^\s<>\"']+$", url) else ""


def as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A filter value from the UI or the API: a list, or a comma-separated string."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return tuple(v.strip() for v in items if v and v.strip())


def parse_auth(spec: str | None) -> list[tuple[str, str]] | None:
    """Login pairs from 'user:pass,user2:pass2' or from a file with one user:pass a line.

    Raises:
        ConfigError: the setting is present but holds no valid user:pass pair.
    """
    from toolkit_assistant.errors import ConfigError

    if not spec or not spec.strip():
        return None
    spec = spec.strip()
    path = Path(spec).expanduser()
    if ":" not in spec or path.is_file():
        if not path.is_file():
            raise ConfigError(f"TOOLKIT_AUTH: {spec!r} is neither user:pass pairs nor a readable file")
        entries = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    else:
        entries = [e.strip() for e in spec.split(",")]
    pairs = []
    for entry in entries:
        if not entry or entry.startswith("#"):
            continue
        user, sep, password = entry.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError("TOOLKIT_AUTH: each entry must be user:password (one that is not was found)")
        pairs.append((user.strip(), password))
    if not pairs:
        raise ConfigError("TOOLKIT_AUTH is set but holds no user:password pair")
    return pairs


def rewrite_followup(question: str, previous: str | None) -> str:
    """A short follow-up that leans on the previous question gets that question's key terms appended.

    The conversation only rewrites the question; earlier answers are never used as a source.
    """
    from toolkit_assistant.text import STOPWORDS

    if not previous:
        return question
    tokens = re.findall(r"[\w’'-]+", question.lower())
    if len(tokens) > _FOLLOWUP_MAX_WORDS or not any(t.strip("’'") in _ANAPHORA for t in tokens):
        return question
    have = set(tokens)
    terms: list[str] = []
    for word in re.findall(r"[\w’'.-]+", previous):
        bare = word.strip(".-’'")
        low = bare.lower()
        if len(bare) < 2 or low in STOPWORDS or low in _ANAPHORA or low in have or bare in terms:
            continue
        terms.append(bare)
    if not terms:
        return question
    return f"{question.rstrip()} ({' '.join(terms)})"


def useful_topics(answer: Answer) -> list[str]:
    """The answer's nearest topics, without bibliography sections ('Sources (...)')."""
    return [t for t in answer.nearest_topics if not re.match(r"^(sources|references)\b", t.strip(), re.IGNORECASE)]


def highlight(chunk_text: str, quote: str) -> str:
    """The chunk text, HTML-escaped, with the quoted passage wrapped in <mark>."""
    at = chunk_text.find(quote) if quote else -1
    if at < 0:
        return esc(chunk_text)
    end = at + len(quote)
    return f"{esc(chunk_text[:at])}<mark>{esc(quote)}</mark>{esc(chunk_text[end:])}"


def _where(section: str, section_title: str, page: int | None) -> str:
    label = f"§{section} {section_title}".strip() if section else section_title
    return f"{label}, p. {page}" if page else label


def status_badge(status: str) -> str:
    """A coloured badge for a document's status (draft / final / summary)."""
    key = status if status in STATUS_HELP else "other"
    tip = STATUS_HELP.get(status, "status as given by the document")
    return f'<span class="ta-status ta-status-{key}" title="{esc(tip)}">{esc(status or "unknown")}</span>'


def render_citation(c: Citation) -> str:
    """One citation card: title, section, page, year, status, link, and the highlighted passage."""
    ch = c.chunk
    url = safe_url(ch.source_url)
    link = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">source</a>' if url else "no link"
    meta = " · ".join([
        esc(_where(ch.section, ch.section_title, None)),
        f"page {esc(ch.page)}" if ch.page else "no page (Markdown)",
        esc(ch.year or "year unknown"),
        status_badge(ch.status),
        link,
        f"<code>{esc(ch.id)}</code>",
    ])
    return (
        f'<div class="ta-source" id="source-{c.n}">'
        f'<div class="ta-source-head"><span class="ta-n">[{c.n}]</span>{esc(ch.title)}</div>'
        f'<div class="ta-meta">{meta}</div>'
        f'<blockquote class="ta-chunk">{highlight(ch.text, c.quote)}</blockquote></div>'
    )


def render_sources(answer: Answer | None, *, empty: str | None = None) -> str:
    """The sources panel for an answer: notices, then a card per citation (or the decline).

    Args:
        answer: the answer, or None before the first question.
        empty: the text shown when there is no answer; trusted markup (an i18n key's marker), not escaped.
    """
    if answer is None:
        text = empty if empty is not None else esc(ui_text("sources_empty"))
        return f'<div class="ta-sources"><p class="ta-empty">{text}</p></div>'
    parts = [f'<div class="ta-notice">{esc(n)}</div>' for n in answer.notices]
    if answer.abstained:
        topics = "".join(f"<li>{esc(t)}</li>" for t in useful_topics(answer))
        parts.append(
            '<div class="ta-declined"><strong>The materials do not cover this question, so no answer is given.'
            "</strong>"
            + (f"<p>Nearest topics they do cover:</p><ul>{topics}</ul>" if topics else "")
            + "</div>"
        )
    parts += [render_citation(c) for c in answer.citations]
    return '<div class="ta-sources">' + "".join(parts) + "</div>"


def render_error(message: str) -> str:
    """An error box, escaped."""
    return f'<div class="ta-error">{esc(message)}</div>'


def chat_text(answer: Answer, asked: str, effective: str) -> str:
    """The assistant's chat message: answer text (escaped for Markdown), decline, notices."""
    lines: list[str] = []
    if answer.abstained:
        lines.append("**The materials do not cover this question, so no answer is given.**")
        if useful_topics(answer):
            lines.append("Nearest topics they do cover: " + "; ".join(md_escape(t) for t in useful_topics(answer)))
    else:
        lines.append(md_escape(answer.text))
    for notice in answer.notices:
        lines.append(f"_Note: {md_escape(notice)}_")
    if effective != asked:
        lines.append(f"_Searched as: {md_escape(effective)}_")
    return "\n\n".join(lines)


def draft_message(draft: str, lang: str = "en") -> str:
    """The chat message for a model's draft while it streams: an 'unverified' marker, then the raw text escaped."""
    return f"_{md_escape(ui_text('draft_marker', lang))}_\n\n{md_escape(draft)}"


def render_checking(lang: str = "en") -> str:
    """The sources panel while a draft streams: a notice that its sentences are still to be checked."""
    notice = esc(ui_text("sources_checking", lang))
    return f'<div class="ta-sources"><div class="ta-notice ta-checking">{notice}</div></div>'


def answer_markdown(answer: Answer, asked: str | None = None) -> str:
    """An answer with its citations as a Markdown document (for copy and download)."""
    from toolkit_assistant.session import md_text

    out = ["# Question", "", md_text(asked or answer.question), ""]
    if asked and asked != answer.question:
        out += [f"_Searched as: {md_text(answer.question)}_", ""]
    out += ["## Answer", ""]
    if answer.abstained:
        out.append("The materials do not cover this question, so no answer is given.")
        if useful_topics(answer):
            out += ["", "Nearest topics they do cover:", ""] + [f"- {md_text(t)}" for t in useful_topics(answer)]
    else:
        out.append(md_text(answer.text))
    out += [f"\n> Note: {md_text(n)}" for n in answer.notices]
    if answer.citations:
        out += ["", "## Sources", ""]
    for c in answer.citations:
        ch = c.chunk
        url = safe_url(ch.source_url)
        out.append(
            f"[{c.n}] {md_text(ch.title)}, {md_text(_where(ch.section, ch.section_title, ch.page))} "
            f"({md_text(ch.year)}, {md_text(ch.status)}); chunk `{ch.id}`" + (f"; <{url}>" if url else "") + "  "
        )
        out += [f"    “{md_text(c.quote)}”", ""]
    out.append(f"_Answered by toolkit-assistant ({answer.backend}) on {time.strftime('%Y-%m-%d %H:%M')}._")
    return "\n".join(out).rstrip() + "\n"


def render_documents(rows: Iterable[dict[str, Any]]) -> str:
    """The library table: one row per document, every value escaped."""
    rows = list(rows)
    if not rows:
        return '<p class="ta-empty">The index holds no documents yet.</p>'
    head = "".join(f"<th>{h}</th>" for h in ("Document", "id", "kind", "year", "status", "language",
                                              "chunks", "sections", "file"))
    body = []
    for r in rows:
        url = safe_url(str(r.get("source_url", "")))
        title = esc(r.get("title", ""))
        title = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{title}</a>' if url else title
        body.append(
            "<tr>" + "".join(f"<td>{v}</td>" for v in (
                title, f"<code>{esc(r.get('doc_id'))}</code>", esc(r.get("kind")), esc(r.get("year")),
                status_badge(str(r.get("status", ""))), esc(r.get("language")), esc(r.get("chunks")),
                esc(len(r.get("sections", []))), esc(Path(str(r.get("path", ""))).name),
            )) + "</tr>"
        )
    total = sum(int(r.get("chunks", 0)) for r in rows)
    return (f"<p>{len(rows)} documents, {total} chunks.</p>"
            f'<table class="ta-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _cite(refs: Sequence[int]) -> str:
    return "".join(f'<a href="#pack-ref-{n}">[{n}]</a>' for n in refs)


def render_pack(pack: SessionPack) -> str:
    """A session pack as HTML (every piece of text escaped)."""
    from toolkit_assistant.session import clock

    out = [f'<div class="ta-pack"><h1>Session pack: {esc(pack.topic)}</h1>',
           f"<p><strong>Duration:</strong> {pack.minutes} minutes"
           + (f" · <strong>Audience:</strong> {esc(pack.audience)}" if pack.audience else "") + "</p>",
           '<p class="ta-intro">Every factual statement is a quotation from the indexed materials with its [n] '
           "citation; the references give document, section, chunk id and source URL.</p>"]
    out += [f'<div class="ta-notice">{esc(n)}</div>' for n in pack.notices]
    out.append("<h2>Learning objectives</h2><ol>")
    out += [f"<li>{esc(o.text)} {_cite(o.refs)}</li>" for o in pack.objectives]
    out.append(f"</ol><h2>Outline ({pack.minutes} minutes)</h2><table class='ta-table'><thead><tr><th>Time</th>"
               "<th>Minutes</th><th>Part</th><th>What happens</th><th>Sources</th></tr></thead><tbody>")
    for it in pack.outline:
        out.append(f"<tr><td>{clock(it.start)}–{clock(it.start + it.minutes)}</td><td>{it.minutes}</td>"
                   f"<td>{esc(it.title)}</td><td>{esc(it.detail)}</td><td>{_cite(it.refs)}</td></tr>")
    out.append("</tbody></table><h2>Key points</h2>")
    for theme in pack.themes:
        out.append(f"<h3>{esc(theme.heading)}</h3><ul>")
        out += [f"<li>“{esc(p.text)}” {_cite(p.refs)}</li>" for p in theme.points]
        out.append("</ul>")
    out.append("<h2>Cases to present</h2>")
    if not pack.cases:
        out.append('<p class="ta-empty">No case document in the index matches this topic.</p>')
    for case in pack.cases:
        out.append(f"<h3>{esc(case.title)}</h3><p><em>From: {esc(case.doc_title)}</em></p><ul>")
        out += [f"<li>“{esc(p.text)}” {_cite(p.refs)}</li>" for p in case.points]
        out.append("</ul>")
    out.append("<h2>Discussion questions</h2><ol>")
    out += [f"<li>{esc(q)}</li>" for q in pack.questions]
    out.append("</ol><h2>Further reading</h2><ul>")
    for r in pack.reading:
        url = safe_url(r.source_url)
        link = f' — <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>' if url else ""
        out.append(f"<li>{esc(r.title)} ({esc(r.year)}, {status_badge(r.status)}), {esc(r.where)}{link}</li>")
    out.append("</ul><h2>References</h2>")
    for ref in pack.references:
        url = safe_url(ref.source_url)
        link = f' · <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">source</a>' if url else ""
        out.append(f'<p class="ta-ref" id="pack-ref-{ref.n}"><strong>[{ref.n}]</strong> {esc(ref.title)}, '
                   f"{esc(ref.where)} · <code>{esc(ref.chunk_id)}</code>{link}<br>“{esc(ref.quote)}”</p>")
    out.append("</div>")
    return "".join(out)


def export_dir() -> Path:
    """Folder for Markdown downloads (inside Gradio's temp folder when one is set)."""
    base = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir())
    folder = base / "toolkit-exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def eval_reports_dir(settings: Settings) -> Path:
    """Folder for evaluation reports run from the app (beside the index)."""
    return settings.index_dir.parent / "eval-reports"


def write_export(text: str, stem: str) -> str:
    """Write a Markdown download and return its path."""
    from toolkit_assistant.text import slug

    folder = Path(tempfile.mkdtemp(prefix="md-", dir=export_dir()))
    path = folder / f"{slug(stem)[:60]}.md"
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- evaluation helpers


def gold_case_index(path: Path = GOLD_PATH) -> tuple[list[str], list[str]]:
    """(categories, ids) of the gold cases, read straight from the JSONL file (empty if missing)."""
    cats: dict[str, None] = {}
    ids: list[str] = []
    if not path.is_file():
        return [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            if rec.get("category"):
                cats.setdefault(str(rec["category"]), None)
            if rec.get("id"):
                ids.append(str(rec["id"]))
    return list(cats), ids


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def select_cases(cases: list[Any], categories: Sequence[str], ids: Sequence[str]) -> list[Any]:
    """The cases of the given categories and/or ids (all cases when both are empty)."""
    if not categories and not ids:
        return list(cases)
    return [c for c in cases if str(_field(c, "category", "")) in categories or str(_field(c, "id", "")) in ids]


def _num(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}"
    return esc(v)


MAX_FAILURES_SHOWN = 200
DRAFT_POLL_S = 0.1  # how long the chat handler waits for more streamed text before it checks the worker again


def render_eval(data: dict[str, Any]) -> tuple[str, str]:
    """(metrics table HTML, failing cases HTML) from results.json (see evaluate.EvalResult.to_dict)."""
    metrics: dict[str, Any] = data.get("metrics") or {}
    gate = data.get("gate") or {}
    gated = {str(r.get("metric")): r for r in gate.get("rows", []) if isinstance(r, dict)}
    rows = []
    for name in list(gated) + [n for n in metrics if n not in gated]:
        m = metrics.get(name) or {}
        g = gated.get(name)
        score = m.get("score", g.get("score") if g else None)
        counts = f"{_num(m.get('numerator'))} / {_num(m.get('denominator'))}" if "denominator" in m else ""
        target = f"{esc(g.get('op', ''))} {_num(g.get('target'))}" if g else ""
        verdict = ""
        if g is not None:
            verdict = ("n/a" if g.get("passed") is None else '<span class="ta-pass">pass</span>' if g.get("passed")
                       else '<span class="ta-fail">FAIL</span>')
        rows.append(f"<tr><td>{esc(name)}</td><td>{_num(score)}</td><td>{counts}</td><td>{target}</td>"
                    f"<td>{verdict}</td></tr>")
    head = ""
    if gate:
        head = ('<p><strong>Quality gate: <span class="ta-pass">passed</span></strong></p>' if gate.get("passed")
                else '<p><strong>Quality gate: <span class="ta-fail">FAILED</span></strong> (a gated metric '
                     "misses its target)</p>")
    table = head + (('<table class="ta-table"><thead><tr><th>metric</th><th>score</th><th>counts</th>'
                     f"<th>target</th><th>gate</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
                    if rows else '<p class="ta-empty">No metrics in the result.</p>')
    failing = [c for c in data.get("cases", []) if isinstance(c, dict) and c.get("passed") is False]
    items = []
    for c in failing[:MAX_FAILURES_SHOWN]:
        reasons = c.get("reasons") or ([c["error"]] if c.get("error") else [])
        answer = c.get("answer")
        text = answer.get("answer", "") if isinstance(answer, dict) else c.get("answer_text") or ""
        items.append(f"<tr><td><code>{esc(c.get('id', ''))}</code></td><td>{esc(c.get('category', ''))}</td>"
                     f"<td>{esc(c.get('question', ''))}</td><td>{esc('; '.join(map(str, reasons)))}</td>"
                     f"<td>{esc(text)}</td></tr>")
    more = (f"<p>{len(failing) - MAX_FAILURES_SHOWN} more failing cases are in results.json.</p>"
            if len(failing) > MAX_FAILURES_SHOWN else "")
    fails = (f"<h3>Failing cases ({len(failing)})</h3>"
             '<table class="ta-table"><thead><tr><th>id</th><th>category</th><th>question</th><th>why it failed</th>'
             f"<th>answer</th></tr></thead><tbody>{''.join(items)}</tbody></table>{more}") if items else \
        '<p class="ta-pass">No failing cases.</p>'
    return table, fails


def check_case(answer: Answer, facts: Sequence[str], must_refuse: bool) -> tuple[bool, list[str]]:
    """Quick check of one added case: (passed, problems), with facts as case-insensitive regexes."""
    problems: list[str] = []
    if must_refuse:
        if not answer.abstained:
            problems.append("expected the assistant to decline, but it answered")
        return not problems, problems
    if answer.abstained:
        return False, ["the assistant declined, but an answer was expected"]
    text = re.sub(r"\s*\[\d+\]", "", answer.text)
    for fact in facts:
        try:
            ok = re.search(fact, text, re.IGNORECASE) is not None
        except re.error:
            ok = fact.lower() in text.lower()
        if not ok:
            problems.append(f"expected fact not found: {fact}")
    return not problems, problems


# ---------------------------------------------------------------- the app


class AppActions:
    """The app's actions, without Gradio types in their signatures where possible."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        """Serve this assistant with these settings."""
        self.assistant = assistant
        self.settings = settings

    # --- ask
    def ask(self, question: str, backend: str = "", doc_ids: Any = "", kinds: Any = "") -> Answer:
        """One answer (raises InputError for a bad question)."""
        from toolkit_assistant.retrieve import Filters

        filters = Filters(doc_ids=as_tuple(doc_ids), kinds=as_tuple(kinds))
        return self.assistant.ask(question or "", backend=(backend or None), filters=filters)

    def stream_ask(self, question: str, backend: str = "", doc_ids: Any = "", kinds: Any = "",
                   *, poll_s: float = DRAFT_POLL_S) -> Iterator[str | Answer]:
        """The growing raw draft (str) while an LLM backend writes, then the final verified Answer.

        The extractive backend yields the Answer only. For the others, Assistant.ask runs in a worker thread and
        its `on_token` pieces are collected here; citations and verification apply to the complete draft only,
        so every str yielded is unverified model text.

        Raises:
            ToolkitError: what ask() raises (e.g. InputError for a bad question), once the worker has ended.
        """
        from toolkit_assistant.retrieve import Filters

        name = backend or self.assistant.backend
        if name == "extractive":
            yield self.ask(question, name, doc_ids, kinds)
            return
        filters = Filters(doc_ids=as_tuple(doc_ids), kinds=as_tuple(kinds))
        pieces: queue.Queue[str] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["answer"] = self.assistant.ask(question or "", backend=name, filters=filters,
                                                       on_token=pieces.put)
            except Exception as exc:  # noqa: BLE001 - handed to the caller's thread below
                outcome["error"] = exc

        worker = threading.Thread(target=work, name=f"ask-{name}", daemon=True)
        worker.start()
        draft = ""
        while True:
            finished = not worker.is_alive()  # read before draining: a finished worker has queued every piece
            new = _drain(pieces, 0.0 if finished else poll_s)
            if new:
                draft += new
                yield draft
            if finished:
                break
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        yield outcome["answer"]

    def documents(self) -> list[dict[str, Any]]:
        """The documents in the index (re-read if another process published a new index)."""
        self.assistant.reader.refresh(min_interval_s=0)
        return self.assistant.reader.documents()

    # --- uploads
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept (beside the index)."""
        return self.settings.index_dir.parent / "uploads"

    def ingest_uploads(self, files: Sequence[str], progress: Callable[[str], None] | None = None) -> list[str]:
        """Copy uploaded files into the uploads folder and index them; one message per file.

        A file that cannot be read is named with the reason; it leaves the index as it was.
        """
        from toolkit_assistant.indexer import run_ingest
        from toolkit_assistant.store import location_for

        if not self.settings.allow_uploads:
            raise InputError("Uploads are turned off on this server (TOOLKIT_ALLOW_UPLOADS=false)")
        if not files:
            raise InputError("Choose one or more files (PDF, Markdown or text) first")
        folder = self.uploads_dir()
        folder.mkdir(parents=True, exist_ok=True)
        messages: list[str] = []
        staged: dict[str, tuple[Path, bytes | None]] = {}
        for f in files:
            src = Path(f)
            name = re.sub(r"[^\w.-]+", "_", src.name).lstrip(".") or "upload.txt"
            if Path(name).suffix.lower() not in UPLOAD_TYPES:
                messages.append(f"{src.name}: not added: unsupported file type (use {', '.join(UPLOAD_TYPES)})")
                continue
            dest = folder / name
            backup = dest.read_bytes() if dest.exists() else None
            shutil.copyfile(src, dest)
            staged[str(dest.resolve())] = (dest, backup)
        if not staged:
            return messages
        s = self.settings
        report = run_ingest(
            [p for p, _ in staged.values()],
            location=location_for(s.index_dir, s.chroma_url, s.collection),
            embedder=self.assistant.embedder,
            index_dir=s.index_dir,
            chunk_size=s.chunk_size,
            chunk_overlap=s.chunk_overlap,
            max_bytes=int(s.max_file_mb * 1e6),
            progress=progress,
        )
        bad = {str(Path(f).resolve()): reason for f, reason in report.skipped}
        for key, (dest, backup) in staged.items():
            if key in bad:
                messages.append(f"{dest.name}: not added: {bad[key]}")
                if backup is None:
                    dest.unlink(missing_ok=True)
                else:
                    dest.write_bytes(backup)
            elif any(key == str(Path(a).resolve()) for a in report.added):
                messages.append(f"{dest.name}: added")
            elif any(key == str(Path(a).resolve()) for a in report.updated):
                messages.append(f"{dest.name}: updated (its old chunks were replaced)")
            else:
                messages.append(f"{dest.name}: already in the index, unchanged")
        self.assistant.reader.refresh(min_interval_s=0)
        messages.append(f"The index now holds {report.documents} documents, {report.chunks} chunks.")
        return messages

    # --- session packs
    def prepare(self, topic: str, minutes: int = 60, audience: str = "",
                progress: Callable[[float, str], None] | None = None) -> SessionPack:
        """A session pack on a topic (raises InputError when the topic is not covered)."""
        from toolkit_assistant.session import build_session

        return build_session(self.assistant, topic, minutes=int(minutes or 60), audience=audience or "",
                             progress=progress)

    def custom_cases_path(self) -> Path:
        """Where cases added in the Evaluate tab are saved."""
        return self.settings.index_dir.parent / "evals" / "custom.jsonl"

    def run_added_case(self, question: str, facts: list[str], category: str, sections: list[str],
                       must_refuse: bool) -> tuple[dict[str, Any], bool, list[str], Path]:
        """Score one new case at once (with the eval suite when it is installed) and save it.

        Returns:
            The case record, whether it passed, the reasons it failed, and the file it was saved to.

        Raises:
            InputError: the question or a field of the case is not valid.
        """
        from toolkit_assistant.pipeline import validate_question

        question = validate_question(question, self.assistant.max_question_chars)
        rec: dict[str, Any] = {"id": f"app-{time.strftime('%Y%m%d-%H%M%S')}", "category": category,
                               "question": question, "key_facts": facts, "expected_sections": sections,
                               "must_refuse": must_refuse or category == "out_of_scope"}
        try:
            from toolkit_assistant import evaluate as ev

            parse_case, run_eval = ev.parse_case, ev.run_eval
        except (ImportError, AttributeError):
            passed, reasons = check_case(self.assistant.ask(question), facts, rec["must_refuse"])
        else:
            try:
                case = parse_case(rec, "the case added in the app")
                result = run_eval(self.assistant, [case])
            except ValueError as exc:
                raise InputError(str(exc)) from exc
            outcome = result.cases[0]
            passed = bool(outcome.passed)
            reasons = list(outcome.reasons) + ([outcome.error] if outcome.error else [])
            rec = case.to_dict()
        path = self.custom_cases_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return rec, passed, reasons, path


def _drain(pieces: queue.Queue[str], wait_s: float) -> str:
    """Every piece in the queue, joined; waits up to wait_s for the first one (0: no wait)."""
    got: list[str] = []
    try:
        got.append(pieces.get(timeout=wait_s) if wait_s > 0 else pieces.get_nowait())
        while True:
            got.append(pieces.get_nowait())
    except queue.Empty:
        pass
    return "".join(got)


def chat_steps(actions: AppActions, q: str, messages: list[dict[str, Any]] | None, hist: list[dict[str, str]] | None,
               be: str, docs: Any, kinds: Any, lang: str = "en") -> Iterator[tuple[Any, ...]]:
    """The Ask tab's chat handler, as a generator of the outputs (chat, history, sources, download, markdown,
    nearby topics, question box).

    An LLM backend yields a step per batch of streamed text, marked as an unverified draft, then the verified
    answer with its sources panel; the extractive backend yields the answer in one step.
    """
    import gradio as gr

    q = (q or "").strip()
    if not q:
        gr.Warning(ui_text("warn_empty_question", lang))
        yield (gr.skip(),) * 7
        return
    previous = hist[-1]["effective"] if hist else None
    effective = rewrite_followup(q, previous)
    messages = list(messages or []) + [{"role": "user", "content": md_escape(q)}]
    answer: Answer | None = None
    try:
        for step in actions.stream_ask(effective, be, docs, kinds):
            if isinstance(step, str):
                shown = [*messages, {"role": "assistant", "content": draft_message(step, lang)}]
                yield shown, gr.skip(), render_checking(lang), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            else:
                answer = step
    except ToolkitError as exc:
        messages.append({"role": "assistant", "content": f"**Not asked:** {md_escape(str(exc))}"})
        yield (messages, hist, render_error(str(exc)), gr.skip(), gr.skip(), gr.Dataset(samples=[], visible=False),
               q)
        return
    assert answer is not None  # stream_ask always ends with the Answer
    messages.append({"role": "assistant", "content": chat_text(answer, q, effective)})
    hist = (list(hist or []) + [{"question": q, "effective": effective}])[-20:]
    md = answer_markdown(answer, asked=q)
    path = write_export(md, f"answer-{q[:40]}")
    samples = [[f"What do the materials say about {re.split(r' [(]', t, maxsplit=1)[0]}?"]
               for t in useful_topics(answer)]
    yield (messages, hist, render_sources(answer), gr.DownloadButton(value=path, visible=True), md,
           gr.Dataset(samples=samples, visible=bool(samples)), "")


def _filter_choices(rows: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], list[str]]:
    docs = [(f"{r['title']} ({r['doc_id']})", r["doc_id"]) for r in rows]
    kinds = sorted({r["kind"] for r in rows if r.get("kind")})
    return docs, kinds


def progress_fraction(message: str) -> float | None:
    """The share of work done that a progress message such as 'answered 25/212 cases' names (scoring: 0.95)."""
    m = re.search(r"(\d+)\s*/\s*(\d+)", message)
    if m and int(m.group(2)):
        return min(1.0, int(m.group(1)) / int(m.group(2))) * 0.9
    return 0.95 if "scor" in message.lower() else None


def _progress_adapter(progress: Any) -> Callable[[str], None]:
    """A run_eval progress callback (one message a call) that moves a gr.Progress bar."""

    def update(message: str) -> None:
        try:
            progress(progress_fraction(str(message)), desc=str(message))
        except Exception:  # noqa: BLE001 - progress display must never break a run
            pass

    return update


def ui_i18n() -> gr.I18n:
    """Gradio's I18n holding UI_TEXT in every interface language (pass it to Blocks.launch)."""
    import gradio as gr

    return gr.I18n(**ui_translations())


def _header(request: Any, name: str) -> str:
    """A request header ('' without a request, e.g. when a test calls a handler directly)."""
    headers = getattr(request, "headers", None)
    try:
        return str(headers.get(name, "")) if headers is not None else ""
    except Exception:  # noqa: BLE001 - a rebuilt queue request may hold headers in another shape
        return ""


def build_ui(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The app's Blocks: four tabs and the API endpoints /ask, /sources, /prepare, /documents.

    Labels, buttons, tab names, placeholders and help texts are i18n keys (UI_TEXT): launch the Blocks with
    `i18n=ui_i18n()` (as `launch` does) so the browser shows them in its language.
    """
    import gradio as gr

    actions = AppActions(assistant, settings)
    limit = settings.concurrency_limit
    rows = assistant.reader.documents()
    doc_choices, kind_choices = _filter_choices(rows)
    i18n = ui_i18n()

    def t(key: str) -> Any:
        """The i18n key for an interface text (a str in HTML f-strings); KeyError names a missing key."""
        if key not in UI_TEXT:
            raise KeyError(f"No interface text {key!r}: add it to UI_TEXT in toolkit_assistant/ui.py")
        return i18n(key)

    empty_sources = render_sources(None, empty=str(t("sources_empty")))

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as demo:
        gr.HTML(
            "<h1 style='margin:.2rem 0'>toolkit-assistant</h1>"
            f"<p class='ta-intro'>{t('app_intro')}</p>",
            js_on_load=None,
        )
        with gr.Tabs():
            # ------------------------------------------------------------ Ask
            with gr.Tab(t("tab_ask"), id="ask", elem_id="tab-ask"):
                gr.HTML(f"<p class='ta-intro'>{t('ask_intro')}</p>", js_on_load=None)
                history = gr.State([])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(
                            label=t("chat_label"), height=460, buttons=[],
                            latex_delimiters=[], sanitize_html=True, feedback_options=None,
                            elem_id="chat", layout="bubble", placeholder=t("chat_placeholder"),
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                label=t("question_label"), placeholder=t("question_placeholder"), lines=1,
                                max_lines=4, scale=5, elem_id="question", autofocus=True,
                            )
                            ask_btn = gr.Button(t("ask_button"), variant="primary", scale=1, elem_id="ask-btn")
                        gr.Examples(EXAMPLE_QUESTIONS, inputs=[question], label=t("examples_label"),
                                    api_visibility="private")
                        topics = gr.Dataset(components=["textbox"], samples=[], label=t("topics_label"),
                                            visible=False, elem_id="nearest-topics")
                        with gr.Row():
                            new_btn = gr.Button(t("new_conversation"), size="sm")
                            download = gr.DownloadButton(t("download_answer"), visible=False, size="sm",
                                                         elem_id="answer-download")
                        with gr.Accordion(t("filters_accordion"), open=False):
                            doc_filter = gr.Dropdown(doc_choices, multiselect=True, value=[],
                                                     label=t("doc_filter_label"))
                            kind_filter = gr.Dropdown(kind_choices, multiselect=True, value=[],
                                                      label=t("kind_filter_label"))
                            backend = gr.Dropdown(BACKENDS, value=settings.backend, label=t("backend_label"),
                                                  info=t("backend_info"))
                        with gr.Accordion(t("markdown_accordion"), open=False):
                            md_box = gr.Textbox(label=t("markdown_label"), lines=8, interactive=False,
                                                buttons=["copy"], elem_id="answer-markdown")
                    with gr.Column(scale=2):
                        gr.HTML(f"<h3 style='margin:.2rem 0'>{t('sources_heading')}</h3>", js_on_load=None)
                        sources = gr.HTML(empty_sources, elem_id="sources-panel", js_on_load=None)

                def on_ask(q: str, messages: list[dict[str, Any]], hist: list[dict[str, str]], be: str,
                           docs: list[str], kinds: list[str], request: Any = None) -> Iterator[tuple[Any, ...]]:
                    lang = browser_language(_header(request, "accept-language"))
                    yield from chat_steps(actions, q, messages, hist, be, docs, kinds, lang)

                # `from __future__ import annotations` turns hints into strings Gradio cannot resolve here;
                # give it the class so it passes the gr.Request (for the browser's Accept-Language).
                on_ask.__annotations__ = {"request": gr.Request}

                ask_outputs = [chat, history, sources, download, md_box, topics, question]
                ask_inputs = [question, chat, history, backend, doc_filter, kind_filter]
                ask_btn.click(on_ask, ask_inputs, ask_outputs, api_name="chat", concurrency_limit=limit,
                              show_progress="minimal", api_visibility="undocumented")
                question.submit(on_ask, ask_inputs, ask_outputs, api_name="chat_submit", concurrency_limit=limit,
                                show_progress="minimal", api_visibility="undocumented")

                def on_new() -> tuple[Any, ...]:
                    return [], [], empty_sources, gr.DownloadButton(visible=False), "", \
                        gr.Dataset(samples=[], visible=False), ""

                new_btn.click(on_new, None, [chat, history, sources, download, md_box, topics, question],
                              api_name="new_conversation", api_visibility="private")
                chat.clear(on_new, None, [chat, history, sources, download, md_box, topics, question],
                           api_name="clear_conversation", api_visibility="private")
                topics.click(lambda sample: sample[0] if sample else "", topics, question,
                             api_name="nearest_topic", api_visibility="private")

            # ------------------------------------------------------------ Prepare
            with gr.Tab(t("tab_prepare"), id="prepare", elem_id="tab-prepare"):
                gr.HTML(f"<p class='ta-intro'>{t('prepare_intro')}</p>", js_on_load=None)
                with gr.Row():
                    topic = gr.Textbox(label=t("topic_label"), placeholder=t("topic_placeholder"), scale=3,
                                       elem_id="topic")
                    minutes = gr.Number(value=60, minimum=15, maximum=480, step=5, precision=0,
                                        label=t("minutes_label"), scale=1, elem_id="minutes")
                    audience = gr.Textbox(label=t("audience_label"), placeholder=t("audience_placeholder"),
                                          scale=2, elem_id="audience", max_length=200)
                with gr.Row():
                    build_btn = gr.Button(t("build_pack"), variant="primary", elem_id="build-pack")
                    pack_download = gr.DownloadButton(t("download_pack"), visible=False, elem_id="pack-download")
                gr.Examples(EXAMPLE_TOPICS, inputs=[topic, minutes, audience], label=t("example_topics_label"),
                            api_visibility="private")
                pack_html = gr.HTML(f"<p class='ta-empty'>{t('pack_empty')}</p>", elem_id="pack", js_on_load=None)
                with gr.Accordion(t("pack_accordion"), open=False):
                    pack_md = gr.Textbox(label=t("pack_md_label"), lines=12, interactive=False, buttons=["copy"])

                def on_prepare(topic_text: str, mins: float | None, aud: str,
                               progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
                    try:
                        pack = actions.prepare(topic_text, int(mins or 60), aud or "",
                                               progress=lambda f, m: progress(f, desc=m))
                    except ToolkitError as exc:
                        return render_error(str(exc)), gr.DownloadButton(visible=False), ""
                    md = pack.to_markdown()
                    path = write_export(md, f"session-{pack.topic[:40]}")
                    return render_pack(pack), gr.DownloadButton(value=path, visible=True), md

                build_btn.click(on_prepare, [topic, minutes, audience], [pack_html, pack_download, pack_md],
                                api_name="build_pack", concurrency_limit=limit, api_visibility="undocumented")

            # ------------------------------------------------------------ Evaluate
            with gr.Tab(t("tab_evaluate"), id="evaluate", elem_id="tab-evaluate"):
                gr.HTML(f"<p class='ta-intro'>{t('evaluate_intro')}</p>", js_on_load=None)
                cats, ids = gold_case_index()
                with gr.Row():
                    eval_cats = gr.Dropdown(cats, multiselect=True, value=[], label=t("categories_label"))
                    eval_ids = gr.Dropdown(ids, multiselect=True, value=[], label=t("case_ids_label"),
                                           allow_custom_value=True)
                    eval_backend = gr.Dropdown(BACKENDS, value=settings.backend, label=t("eval_backend_label"))
                run_btn = gr.Button(t("run_eval"), variant="primary", elem_id="run-eval")
                eval_status = gr.HTML("", js_on_load=None)
                eval_metrics = gr.HTML("", js_on_load=None)
                eval_charts = gr.Gallery(label=t("charts_label"), columns=2, height="auto", object_fit="contain",
                                         visible=False)
                eval_fails = gr.HTML("", js_on_load=None)
                with gr.Row():
                    report_file = gr.DownloadButton(t("download_report"), visible=False, elem_id="report-download")
                    results_file = gr.DownloadButton(t("download_results"), visible=False)

                def on_eval(cat_sel: list[str], id_sel: list[str], be: str,
                            progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
                    hidden = (gr.Gallery(visible=False), "", gr.DownloadButton(visible=False),
                              gr.DownloadButton(visible=False))
                    try:
                        from toolkit_assistant import evaluate as ev

                        load_cases, run_eval, write_report = ev.load_cases, ev.run_eval, ev.write_report
                    except (ImportError, AttributeError):
                        return (render_error("The evaluation module is not installed yet "
                                             "(toolkit_assistant.evaluate lacks run_eval)."), "", *hidden)
                    try:
                        cases = select_cases(load_cases(GOLD_PATH), cat_sel or [], id_sel or [])
                        if not cases:
                            return render_error("No gold case matches that selection."), "", *hidden
                        progress(0, desc=f"Running {len(cases)} cases")
                        result = run_eval(actions.assistant, cases, backend=be or None,
                                          progress=_progress_adapter(progress))
                        out_dir = eval_reports_dir(settings) / time.strftime("%Y%m%d-%H%M%S")
                        report = Path(write_report(result, out_dir))
                    except (ToolkitError, OSError, ValueError) as exc:
                        return render_error(f"The evaluation failed: {exc}"), "", *hidden
                    folder = report if report.is_dir() else report.parent
                    data = _result_data(result, folder)
                    table, fails = render_eval(data)
                    charts = sorted(str(p) for p in folder.glob("*.png"))
                    html_file = folder / "report.html"
                    json_file = folder / "results.json"
                    warns = "".join(f'<div class="ta-notice">{esc(w)}</div>' for w in data.get("warnings", []))
                    return (f"<p>{len(cases)} cases run; report in <code>{esc(folder)}</code>.</p>{warns}", table,
                            gr.Gallery(value=charts, visible=bool(charts)), fails,
                            gr.DownloadButton(value=str(html_file), visible=html_file.is_file()),
                            gr.DownloadButton(value=str(json_file), visible=json_file.is_file()))

                run_btn.click(on_eval, [eval_cats, eval_ids, eval_backend],
                              [eval_status, eval_metrics, eval_charts, eval_fails, report_file, results_file],
                              api_name="run_eval", concurrency_limit=1, api_visibility="undocumented")

                with gr.Accordion(t("add_case_accordion"), open=True):
                    new_q = gr.Textbox(label=t("new_question_label"), elem_id="new-case-question")
                    new_facts = gr.Textbox(label=t("facts_label"), lines=3, elem_id="new-case-facts")
                    with gr.Row():
                        new_cat = gr.Dropdown(CASE_CATEGORIES, value="answerable", label=t("category_label"))
                        new_sections = gr.Textbox(label=t("sections_label"))
                        new_refuse = gr.Checkbox(label=t("refuse_label"), value=False)
                    add_btn = gr.Button(t("add_case_button"), elem_id="add-case")
                    case_out = gr.HTML("", js_on_load=None, elem_id="new-case-result")

                def on_add_case(q: str, facts: str, cat: str, sections: str, refuse: bool) -> str:
                    fact_list = [f.strip() for f in (facts or "").splitlines() if f.strip()]
                    try:
                        answer = actions.ask(q)
                        rec, passed, reasons, path = actions.run_added_case(
                            q, fact_list, cat or "answerable", list(as_tuple(sections)), bool(refuse))
                    except ToolkitError as exc:
                        return render_error(str(exc))
                    verdict = '<span class="ta-pass">PASS</span>' if passed else '<span class="ta-fail">FAIL</span>'
                    probs = "".join(f"<li>{esc(p)}</li>" for p in reasons)
                    text = "The materials do not cover this question." if answer.abstained else answer.text
                    return (f"<p>{verdict} <code>{esc(rec['id'])}</code> {esc(answer.question)}</p>"
                            + (f"<ul>{probs}</ul>" if probs else "")
                            + f"<blockquote class='ta-chunk'>{esc(text)}</blockquote>" + render_sources(answer)
                            + f"<p>Saved to <code>{esc(path)}</code>. To add it to the gold set, copy this line "
                              f"into evals/gold.jsonl:</p><pre>{esc(json.dumps(rec, ensure_ascii=False))}</pre>")

                add_btn.click(on_add_case, [new_q, new_facts, new_cat, new_sections, new_refuse], case_out,
                              api_name="add_case", concurrency_limit=1, api_visibility="undocumented")

            # ------------------------------------------------------------ Library
            with gr.Tab(t("tab_library"), id="library", elem_id="tab-library"):
                gr.HTML(f"<p class='ta-intro'>{t('library_intro')}</p>", js_on_load=None)
                docs_html = gr.HTML(render_documents(rows), elem_id="library-table", js_on_load=None)
                refresh_btn = gr.Button(t("refresh_list"), size="sm")
                if settings.allow_uploads:
                    gr.HTML(f"<p>{t('upload_help')} <strong>{settings.max_file_mb:g} MB</strong></p>",
                            js_on_load=None, elem_id="upload-help")
                    upload = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, type="filepath",
                                     label=t("files_label"), elem_id="upload")
                    ingest_btn = gr.Button(t("ingest_button"), variant="primary", elem_id="ingest-btn")
                    ingest_out = gr.HTML("", js_on_load=None)

                    def on_ingest(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
                        try:
                            msgs = actions.ingest_uploads(list(files or []),
                                                          progress=lambda m: progress(None, desc=m))
                        except ToolkitError as exc:
                            return render_error(str(exc)), gr.skip(), gr.skip(), gr.skip()
                        new_rows = actions.documents()
                        dc, kc = _filter_choices(new_rows)
                        items = "".join(f"<li>{esc(m)}</li>" for m in msgs)
                        return (f"<ul>{items}</ul>", render_documents(new_rows), gr.Dropdown(choices=dc),
                                gr.Dropdown(choices=kc))

                    ingest_btn.click(on_ingest, upload, [ingest_out, docs_html, doc_filter, kind_filter],
                                     api_name="ingest", concurrency_limit=1, api_visibility="undocumented")
                else:
                    gr.HTML(f"<p class='ta-notice'>{t('uploads_off')}</p>", js_on_load=None, elem_id="uploads-off")

                def on_refresh() -> tuple[Any, ...]:
                    new_rows = actions.documents()
                    dc, kc = _filter_choices(new_rows)
                    return render_documents(new_rows), gr.Dropdown(choices=dc), gr.Dropdown(choices=kc)

                refresh_btn.click(on_refresh, None, [docs_html, doc_filter, kind_filter],
                                  api_name="library", api_visibility="undocumented")
                demo.load(on_refresh, None, [docs_html, doc_filter, kind_filter], api_name="library_on_load",
                          api_visibility="private")

        # ------------------------------------------------------------ API
        def ask_api(question: str, backend: str = "", doc_ids: list[str] | str = "",
                    kinds: list[str] | str = "") -> dict[str, Any]:
            """Answer a question from the materials: the Answer JSON (question, answer, abstained, citations...)."""
            try:
                return actions.ask(question, backend, doc_ids, kinds).to_dict()
            except ToolkitError as exc:
                raise gr.Error(str(exc)) from exc

        def sources_api(question: str, backend: str = "", doc_ids: list[str] | str = "",
                        kinds: list[str] | str = "") -> str:
            """Answer a question and return its sources panel as HTML (document text escaped)."""
            try:
                return render_sources(actions.ask(question, backend, doc_ids, kinds))
            except ToolkitError as exc:
                raise gr.Error(str(exc)) from exc

        def prepare_api(topic: str, minutes: int = 60, audience: str = "") -> str:
            """A trainer's session pack on a topic, as Markdown."""
            try:
                return actions.prepare(topic, minutes, audience).to_markdown()
            except ToolkitError as exc:
                raise gr.Error(str(exc)) from exc

        def documents_api() -> list[dict[str, Any]]:
            """The documents in the index with their metadata and chunk counts (file names, not paths)."""
            return [{**{k: v for k, v in r.items() if k != "path"}, "file": Path(str(r.get("path", ""))).name}
                    for r in actions.documents()]

        gr.api(ask_api, api_name="ask", concurrency_limit=limit)
        gr.api(sources_api, api_name="sources", concurrency_limit=limit)
        gr.api(prepare_api, api_name="prepare", concurrency_limit=limit)
        gr.api(documents_api, api_name="documents", concurrency_limit=limit)
    return demo


def _result_data(result: Any, folder: Path) -> dict[str, Any]:
    """The eval result as a dict: results.json when written, else the result's own to_dict()."""
    path = folder / "results.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
        except (OSError, json.JSONDecodeError):
            pass
    if hasattr(result, "to_dict"):
        return dict(result.to_dict())
    return {"metrics": _field(result, "metrics", {}), "failures": _field(result, "failures", [])}


def open_assistant(settings: Settings, echo: Callable[[str], None] = print) -> Assistant:
    """Open the index the settings name; build it from the corpus first when there is none."""
    from toolkit_assistant.pipeline import Assistant

    try:
        return Assistant.from_settings(settings)
    except IndexNotBuiltError:
        pass
    from toolkit_assistant.embeddings import get_embedder
    from toolkit_assistant.indexer import run_ingest
    from toolkit_assistant.store import location_for

    echo(f"No index at {settings.index_dir} yet: building it from {settings.corpus_dir} (about a minute)...")
    report = run_ingest(
        [settings.corpus_dir],
        location=location_for(settings.index_dir, settings.chroma_url, settings.collection),
        embedder=get_embedder(settings.embedding),
        index_dir=settings.index_dir,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        max_bytes=int(settings.max_file_mb * 1e6),
        progress=lambda m: echo(f"  {m}"),
    )
    for file, reason in report.skipped:
        echo(f"  skipped {file}: {reason}")
    echo(f"Indexed {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f} s.")
    return Assistant.from_settings(settings)


def launch(settings: Settings) -> None:
    """Open (or first build) the index and serve the app on settings.host:settings.port until stopped."""
    apply_offline_env(settings.state_dir)
    auth = parse_auth(settings.auth)
    assistant = open_assistant(settings, echo=lambda m: print(m, flush=True))
    demo = build_ui(assistant, settings)
    from toolkit_assistant.openai_api import openai_router  # /v1/chat/completions, /v1/models (issue #18)
    demo.queue(max_size=settings.max_queue, default_concurrency_limit=settings.concurrency_limit)
    print(f"toolkit-assistant: http://{settings.host}:{settings.port}" + (" (login required)" if auth else ""),
          flush=True)
    demo.launch(
        i18n=ui_i18n(),
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        auth=auth,
        auth_message="Sign in to toolkit-assistant." if auth else None,
        max_file_size=f"{settings.max_file_mb:g}mb",
        allowed_paths=[str(export_dir()), str(eval_reports_dir(settings))],
        footer_links=["api"],
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        show_error=False,
        quiet=True,
        css=CSS,
        app_kwargs={"routes": openai_router(assistant, auth, concurrency=settings.concurrency_limit).routes},
    )
