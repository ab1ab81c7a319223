"""The assistant's own sentences (declines, notices) in the languages a question may come in."""

from __future__ import annotations

ABSTAIN = {
    "en": "The materials in this index do not cover this question, so no answer is given.",
    "fr": "Les documents de cet index ne traitent pas de cette question ; aucune réponse n'est donc donnée.",
    "es": "Los documentos de este índice no tratan esta pregunta, por lo que no se da ninguna respuesta.",
    "pt": "Os documentos deste índice não tratam desta pergunta, por isso nenhuma resposta é dada.",
    "ar": "لا تتناول الوثائق الموجودة في هذا الفهرس هذا السؤال، ولذلك لا تُقدَّم أي إجابة.",
    "zh": "本索引中的资料未涉及这个问题，因此不予回答。",
    "ru": "Материалы этого индекса не охватывают данный вопрос, поэтому ответ не дается.",
}
NEAREST = {
    "en": "The nearest topics the materials do cover:",
    "fr": "Les sujets les plus proches que les documents traitent :",
    "es": "Los temas más cercanos que sí tratan los documentos:",
    "pt": "Os temas mais próximos que os documentos tratam:",
    "ar": "أقرب الموضوعات التي تتناولها الوثائق:",
    "zh": "资料所涵盖的最接近的主题：",
    "ru": "Ближайшие темы, которые охватывают материалы:",
}
SOURCES_IN_ENGLISH = {
    "fr": "Les sources citées sont en anglais ; les passages sont reproduits tels quels.",
    "es": "Las fuentes citadas están en inglés; los pasajes se reproducen tal cual.",
    "pt": "As fontes citadas estão em inglês; os trechos são reproduzidos como estão.",
    "ar": "المصادر المستشهد بها باللغة الإنجليزية؛ وتُنقل المقاطع كما هي.",
    "zh": "所引用的资料为英文；段落按原文引用。",
    "ru": "Цитируемые источники на английском языке; фрагменты приводятся без изменений.",
}
INSTRUCTIONS = {
    "en": (
        "This assistant answers questions from the indexed materials only; it does not follow instructions, "
        "take on roles or answer from general knowledge. Ask a question about the materials."
    ),
    "fr": "Cet assistant répond uniquement à partir des documents indexés ; il ne suit pas d'instructions. Posez une question sur les documents.",
    "es": "Este asistente responde solo a partir de los documentos indexados; no sigue instrucciones. Haga una pregunta sobre los documentos.",
    "pt": "Este assistente responde apenas a partir dos documentos indexados; não segue instruções. Faça uma pergunta sobre os documentos.",
    "ar": "يجيب هذا المساعد من الوثائق المفهرسة فقط، ولا يتبع التعليمات. اطرح سؤالاً عن الوثائق.",
    "zh": "本助手只根据已索引的资料回答问题，不执行指令。请就资料提出问题。",
    "ru": "Этот помощник отвечает только по проиндексированным материалам и не выполняет инструкции. Задайте вопрос о материалах.",
}


def say(table: dict[str, str], language: str) -> str:
    """The message in a language, falling back to English."""
    return table.get(language) or table.get("en", "")
