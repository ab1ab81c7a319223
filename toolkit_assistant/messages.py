"""The assistant's own sentences (declines, notices) in the languages a question may come in."""

from __future__ import annotations

import re

ABSTAIN = {
    "en": "The materials in this index do not cover this question, so no answer is given.",
    "fr": "Les documents de cet index ne traitent pas de cette question ; aucune réponse n'est donc donnée.",
    "es": "Los documentos de este índice no tratan esta pregunta, por lo que no se da ninguna respuesta.",
    "pt": "Os documentos deste índice não tratam desta pergunta, por isso nenhuma resposta é dada.",
    "ar": "لا تتناول الوثائق الموجودة في هذا الفهرس هذا السؤال، ولذلك لا تُقدَّم أي إجابة.",
    "zh": "本索引中的资料未涉及这个问题，因此不予回答。",
    "ru": "Материалы этого индекса не охватывают данный вопрос, поэтому ответ не даётся.",
}
NEAREST = {
    "en": "The nearest topics the materials do cover:",
    "fr": "Les sujets les plus proches que les documents traitent :",
    "es": "Los temas más cercanos que sí tratan los documentos:",
    "pt": "Os temas mais próximos que os documentos tratam:",
    "ar": "أقرب الموضوعات التي تتناولها الوثائق:",
    "zh": "资料所涵盖的最接近的主题：",
    "ru": "Ближайшие темы, которые охвачены в материалах:",
}
PARTIAL = {
    "en": "The materials speak of {topic}, but they do not say anything about {what}. The closest passages:",
    "fr": "Les documents traitent de {topic}, mais ne disent rien de {what}. Les passages les plus proches :",
    "es": "Los documentos tratan de {topic}, pero no dicen nada sobre {what}. Los pasajes más cercanos:",
    "pt": "Os documentos tratam de {topic}, mas não dizem nada sobre {what}. Os trechos mais próximos:",
    "ar": "تتناول الوثائق {topic}، لكنها لا تذكر شيئًا عن {what}. أقرب المقاطع:",
    "zh": "资料涉及{topic}，但没有提到{what}。最接近的段落：",
    "ru": "Материалы касаются темы {topic}, но ничего не говорят о {what}. Ближайшие фрагменты:",
}
PREMISE = {
    "en": "The question says “{stated}”; the materials say “{found}” (the first cited sentence).",
    "fr": "La question parle de « {stated} » ; les documents indiquent « {found} » (la première phrase citée).",
    "es": "La pregunta habla de «{stated}»; los documentos indican «{found}» (la primera oración citada).",
    "pt": "A pergunta fala em “{stated}”; os documentos indicam “{found}” (a primeira frase citada).",
    "ar": "يذكر السؤال «{stated}»؛ أما الوثائق فتذكر «{found}» (الجملة الأولى المستشهد بها).",
    "zh": "问题中说“{stated}”；资料中说“{found}”（见第一条引文）。",
    "ru": "В вопросе сказано «{stated}»; в материалах — «{found}» (первое цитируемое предложение).",
}
PARTIAL_ABSENT = {
    "en": "The materials speak of {topic}, but they say that this is not known or not confirmed:",
    "fr": "Les documents traitent de {topic}, mais indiquent que ce point n'est pas connu ou pas confirmé :",
    "es": "Los documentos tratan de {topic}, pero indican que este punto no se conoce o no está confirmado:",
    "pt": "Os documentos tratam de {topic}, mas indicam que este ponto não é conhecido ou não está confirmado:",
    "ar": "تتناول الوثائق {topic}، لكنها تذكر أن هذه المعلومة غير معروفة أو غير مؤكدة:",
    "zh": "资料涉及{topic}，但说明这一点未知或未经证实：",
    "ru": "Материалы касаются темы {topic}, но указывают, что это неизвестно или не подтверждено:",
}
PARTIAL_KIND = {
    "en": {
        "number": "The materials speak of {topic}, but they do not give the figure asked for. The closest passages:",
        "date": "The materials speak of {topic}, but they do not give the date asked for. The closest passages:",
        "person": "The materials speak of {topic}, but they do not name the person asked for. The closest passages:",
        "day": "The materials speak of {topic}, but they do not give the exact day asked for. The closest passages:",
        "name": "The materials speak of {topic}, but they do not name what was asked for. The closest passages:",
    },
    "fr": {
        "number": "Les documents traitent de {topic}, mais ne donnent pas le chiffre demandé. Les passages les plus proches :",
        "date": "Les documents traitent de {topic}, mais ne donnent pas la date demandée. Les passages les plus proches :",
        "person": "Les documents traitent de {topic}, mais ne nomment pas la personne demandée. Les passages les plus proches :",
        "day": "Les documents traitent de {topic}, mais ne donnent pas le jour exact demandé. Les passages les plus proches :",
        "name": "Les documents traitent de {topic}, mais ne nomment pas ce qui est demandé. Les passages les plus proches :",
    },
    "es": {
        "number": "Los documentos tratan de {topic}, pero no dan la cifra pedida. Los pasajes más cercanos:",
        "date": "Los documentos tratan de {topic}, pero no dan la fecha pedida. Los pasajes más cercanos:",
        "person": "Los documentos tratan de {topic}, pero no nombran a la persona pedida. Los pasajes más cercanos:",
        "day": "Los documentos tratan de {topic}, pero no dan el día exacto pedido. Los pasajes más cercanos:",
        "name": "Los documentos tratan de {topic}, pero no nombran lo que se pide. Los pasajes más cercanos:",
    },
    "pt": {
        "number": "Os documentos tratam de {topic}, mas não dão o número pedido. Os trechos mais próximos:",
        "date": "Os documentos tratam de {topic}, mas não dão a data pedida. Os trechos mais próximos:",
        "person": "Os documentos tratam de {topic}, mas não nomeiam a pessoa pedida. Os trechos mais próximos:",
        "day": "Os documentos tratam de {topic}, mas não dão o dia exato pedido. Os trechos mais próximos:",
        "name": "Os documentos tratam de {topic}, mas não nomeiam o que foi pedido. Os trechos mais próximos:",
    },
    "ar": {
        "number": "تتناول الوثائق {topic}، لكنها لا تذكر الرقم المطلوب. أقرب المقاطع:",
        "date": "تتناول الوثائق {topic}، لكنها لا تذكر التاريخ المطلوب. أقرب المقاطع:",
        "person": "تتناول الوثائق {topic}، لكنها لا تسمي الشخص المطلوب. أقرب المقاطع:",
        "day": "تتناول الوثائق {topic}، لكنها لا تذكر اليوم المحدد المطلوب. أقرب المقاطع:",
        "name": "تتناول الوثائق {topic}، لكنها لا تسمي ما هو مطلوب. أقرب المقاطع:",
    },
    "zh": {
        "number": "资料涉及{topic}，但没有给出所问的数字。最接近的段落：",
        "date": "资料涉及{topic}，但没有给出所问的日期。最接近的段落：",
        "person": "资料涉及{topic}，但没有指明所问的人。最接近的段落：",
        "day": "资料涉及{topic}，但没有给出所问的具体日期。最接近的段落：",
        "name": "资料涉及{topic}，但没有指明所问的名称。最接近的段落：",
    },
    "ru": {
        "number": "Материалы касаются темы {topic}, но не приводят запрошенную цифру. Ближайшие фрагменты:",
        "date": "Материалы касаются темы {topic}, но не приводят запрошенную дату. Ближайшие фрагменты:",
        "person": "Материалы касаются темы {topic}, но не называют запрошенное лицо. Ближайшие фрагменты:",
        "day": "Материалы касаются темы {topic}, но не приводят запрошенный точный день. Ближайшие фрагменты:",
        "name": "Материалы касаются темы {topic}, но не называют то, о чём спрашивается. Ближайшие фрагменты:",
    },
}
NO_MULTILINGUAL_INDEX = {
    "en": "The multilingual index is not built yet, so this question was read with the English model; run: toolkit-assistant ingest",
    "fr": "L'index multilingue n'est pas encore construit : la question a été lue avec le modèle anglais ; lancez : toolkit-assistant ingest",
    "es": "El índice multilingüe aún no está construido: la pregunta se leyó con el modelo inglés; ejecute: toolkit-assistant ingest",
    "pt": "O índice multilíngue ainda não foi construído: a pergunta foi lida com o modelo inglês; execute: toolkit-assistant ingest",
    "ar": "لم يُبنَ الفهرس متعدد اللغات بعد، لذلك قُرئ السؤال بالنموذج الإنجليزي؛ شغّل: toolkit-assistant ingest",
    "zh": "多语言索引尚未建立，因此本问题由英文模型读取；请运行：toolkit-assistant ingest",
    "ru": "Многоязычный индекс ещё не построен, поэтому вопрос прочитан английской моделью; выполните: toolkit-assistant ingest",
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
    "fr": "Cet assistant répond uniquement à partir des documents indexés ; il ne suit pas d'instructions, ne joue aucun rôle et ne répond pas à partir de connaissances générales. Posez une question sur les documents.",
    "es": "Este asistente responde solo a partir de los documentos indexados; no sigue instrucciones, no asume papeles ni responde a partir de conocimientos generales. Haga una pregunta sobre los documentos.",
    "pt": "Este assistente responde apenas a partir dos documentos indexados; não segue instruções, não assume papéis nem responde com base em conhecimentos gerais. Faça uma pergunta sobre os documentos.",
    "ar": "يجيب هذا المساعد من الوثائق المفهرسة فقط، ولا يتبع التعليمات ولا يتقمّص أدواراً ولا يجيب من المعرفة العامة. اطرح سؤالاً عن الوثائق.",
    "zh": "本助手只根据已索引的资料回答问题，不执行指令，不扮演角色，也不凭一般知识作答。请就资料提出问题。",
    "ru": "Этот помощник отвечает только по проиндексированным материалам: он не выполняет инструкции, не берёт на себя роли и не отвечает на основе общих знаний. Задайте вопрос о материалах.",
}

INJECTED = {
    "en": "Instructions in the question were not followed; only the question itself was answered, from the materials.",
    "fr": "Les instructions contenues dans la question n'ont pas été suivies ; seule la question elle-même a reçu une réponse, tirée des documents.",
    "es": "No se siguieron las instrucciones incluidas en la pregunta; solo se respondió a la pregunta en sí, a partir de los documentos.",
    "pt": "As instruções contidas na pergunta não foram seguidas; só a pergunta em si foi respondida, a partir dos documentos.",
    "ar": "لم تُتَّبع التعليمات الواردة في السؤال؛ وأُجيب عن السؤال نفسه فقط، من الوثائق.",
    "zh": "问题中的指令未被执行；只根据资料回答了问题本身。",
    "ru": "Инструкции, содержащиеся в вопросе, не выполнены; дан ответ только на сам вопрос, по материалам.",
}
# {detail} is " (the reason)" in the Answer JSON and the CLI; the app shows the notice without it (public_notice)
BACKEND_UNAVAILABLE = {
    "en": "The {backend} backend is unavailable{detail}; showing the extractive answer.",
    "fr": "Le mode de rédaction {backend} n'est pas disponible{detail} ; la réponse extractive est affichée.",
    "es": "El modo de redacción {backend} no está disponible{detail}; se muestra la respuesta extractiva.",
    "pt": "O modo de redação {backend} não está disponível{detail}; é mostrada a resposta extrativa.",
    "ar": "طريقة الكتابة {backend} غير متاحة{detail}؛ تُعرض الإجابة المقتبسة من الوثائق.",
    "zh": "{backend} 生成方式不可用{detail}；显示摘录式回答。",
    "ru": "Способ составления ответов {backend} недоступен{detail}; показан извлечённый ответ.",
}
NO_SUPPORTED_SENTENCE = {
    "en": "No sentence of the {backend} answer was supported by its sources; showing the extractive answer instead.",
    "fr": "Aucune phrase de la réponse {backend} n'était étayée par ses sources ; la réponse extractive est affichée à la place.",
    "es": "Ninguna frase de la respuesta {backend} estaba respaldada por sus fuentes; se muestra en su lugar la respuesta extractiva.",
    "pt": "Nenhuma frase da resposta {backend} era sustentada pelas suas fontes; é mostrada em seu lugar a resposta extrativa.",
    "ar": "لم تدعم المصادرُ أيَّ جملة من إجابة {backend}؛ تُعرض بدلاً منها الإجابة المقتبسة من الوثائق.",
    "zh": "{backend} 回答中没有任何句子得到其来源的支持；改为显示摘录式回答。",
    "ru": "Ни одно предложение ответа {backend} не подтверждено источниками; вместо него показан извлечённый ответ.",
}


def say(table: dict[str, str], language: str) -> str:
    """The message in a language, falling back to English."""
    return table.get(language) or table.get("en", "")


def public_notice(notice: str) -> str:
    """A notice as users see it: a backend failure without its reason (setting names, addresses and exceptions
    go to the server log), in whichever language it was written."""
    for template in BACKEND_UNAVAILABLE.values():
        head, _, tail = template.partition("{detail}")
        pattern = re.escape(head).replace(re.escape("{backend}"), r"(\S+)") + r"(?: \(.*\))?" + re.escape(tail)
        m = re.fullmatch(pattern, notice or "", re.DOTALL)
        if m:
            return template.format(backend=m.group(1), detail="")
    return notice
