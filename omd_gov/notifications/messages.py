"""Notification texts in the users' languages (en, es, pt): the subject and
plain-text body, and the HTML alternative built from the same parts.

A topic is ``"<deadline kind>.<reminder kind>"``; a topic without its own
template uses the template of its reminder kind, with the kind's label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

LANGUAGES = ("en", "es", "pt")

KIND_LABELS = {
    "en": {
        "legal_review": "legal review",
        "changes": "requested changes",
        "signature": "signature",
        "publication": "publication in the transparency register",
        "expiry": "expiry",
        "periodic_review": "periodic review",
    },
    "es": {
        "legal_review": "revisión jurídica",
        "changes": "cambios solicitados",
        "signature": "firma",
        "publication": "publicación en el registro de transparencia",
        "expiry": "vencimiento",
        "periodic_review": "revisión periódica",
    },
    "pt": {
        "legal_review": "revisão jurídica",
        "changes": "alterações pedidas",
        "signature": "assinatura",
        "publication": "publicação no registo de transparência",
        "expiry": "expiração",
        "periodic_review": "revisão periódica",
    },
}

# topic or reminder kind -> (subject, body)
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "start": (
            "[{reference}] New task: {kind} (due {due_on})",
            "A new task is assigned to you: {kind} of agreement {reference} “{title}”. "
            "Due on {due_on}.",
        ),
        "reminder": (
            "[{reference}] Reminder: {kind} (due {due_on})",
            "Reminder: {kind} of agreement {reference} “{title}”. Due on {due_on}.",
        ),
        "escalation": (
            "[{reference}] Overdue: {kind} (was due {due_on})",
            "The {kind} of agreement {reference} “{title}” was due on {due_on} and is still "
            "open. Assigned to: {assignees}. You receive this as their supervisor.",
        ),
        "expiry.notice": (
            "[{reference}] Agreement expires on {due_on} ({days} days)",
            "Agreement {reference} “{title}” expires on {due_on}, in {days} days. "
            "Decide whether to renew it.",
        ),
        "periodic_review.notice": (
            "[{reference}] Periodic review due on {due_on}",
            "Agreement {reference} “{title}” is due for its periodic review on {due_on}.",
        ),
        "link": ("", "Open the agreement: {link}"),
        "footer": ("", "This is an automatic message from omd-gov."),
    },
    "es": {
        "start": (
            "[{reference}] Nueva tarea: {kind} (plazo {due_on})",
            "Se le ha asignado una nueva tarea: {kind} del acuerdo {reference} «{title}». "
            "Plazo: {due_on}.",
        ),
        "reminder": (
            "[{reference}] Recordatorio: {kind} (plazo {due_on})",
            "Recordatorio: {kind} del acuerdo {reference} «{title}». Plazo: {due_on}.",
        ),
        "escalation": (
            "[{reference}] Plazo vencido: {kind} ({due_on})",
            "El plazo de {kind} del acuerdo {reference} «{title}» venció el {due_on} y la "
            "tarea sigue abierta. Responsables: {assignees}. Recibe este mensaje como "
            "superior jerárquico.",
        ),
        "expiry.notice": (
            "[{reference}] El acuerdo vence el {due_on} ({days} días)",
            "El acuerdo {reference} «{title}» vence el {due_on}, dentro de {days} días. "
            "Decida si debe renovarse.",
        ),
        "periodic_review.notice": (
            "[{reference}] Revisión periódica el {due_on}",
            "El acuerdo {reference} «{title}» debe revisarse el {due_on} (revisión periódica).",
        ),
        "link": ("", "Abrir el acuerdo: {link}"),
        "footer": ("", "Mensaje automático de omd-gov."),
    },
    "pt": {
        "start": (
            "[{reference}] Nova tarefa: {kind} (prazo {due_on})",
            "Foi-lhe atribuída uma nova tarefa: {kind} do acordo {reference} «{title}». "
            "Prazo: {due_on}.",
        ),
        "reminder": (
            "[{reference}] Lembrete: {kind} (prazo {due_on})",
            "Lembrete: {kind} do acordo {reference} «{title}». Prazo: {due_on}.",
        ),
        "escalation": (
            "[{reference}] Prazo ultrapassado: {kind} ({due_on})",
            "O prazo de {kind} do acordo {reference} «{title}» terminou a {due_on} e a "
            "tarefa continua em aberto. Responsáveis: {assignees}. Recebe esta mensagem "
            "como superior hierárquico.",
        ),
        "expiry.notice": (
            "[{reference}] O acordo expira a {due_on} ({days} dias)",
            "O acordo {reference} «{title}» expira a {due_on}, dentro de {days} dias. "
            "Decida se deve ser renovado.",
        ),
        "periodic_review.notice": (
            "[{reference}] Revisão periódica a {due_on}",
            "O acordo {reference} «{title}» deve ser revisto a {due_on} (revisão periódica).",
        ),
        "link": ("", "Abrir o acordo: {link}"),
        "footer": ("", "Mensagem automática do omd-gov."),
    },
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str  # plain text, paragraphs separated by blank lines


def language_of(code: str | None) -> str:
    return code if code in LANGUAGES else "en"


def _template(language: str, topic: str) -> tuple[str, str]:
    table = TEMPLATES[language]
    return table.get(topic) or table[topic.rpartition(".")[2]]


def render(topic: str, params: dict[str, Any], language: str) -> Rendered:
    """Subject and plain-text body of a topic, in ``language`` (en fallback)."""
    language = language_of(language)
    deadline_kind = topic.partition(".")[0]
    values = {"kind": KIND_LABELS[language].get(deadline_kind, deadline_kind), **params}
    subject, body = _template(language, topic)
    paragraphs = [body.format(**values)]
    if values.get("link"):
        paragraphs.append(TEMPLATES[language]["link"][1].format(**values))
    paragraphs.append(TEMPLATES[language]["footer"][1])
    return Rendered(subject.format(**values), "\n\n".join(paragraphs))


def render_html(subject: str, body: str, link: str, language: str) -> str:
    """The HTML alternative: the same paragraphs, escaped, with the link clickable."""
    parts = []
    for paragraph in body.split("\n\n"):
        if link and paragraph.endswith(link):
            label = paragraph[: -len(link)]
            parts.append(Markup('<p>{}<a href="{}">{}</a></p>').format(label, link, link))
        else:
            parts.append(Markup("<p>{}</p>").format(paragraph))
    return str(
        Markup(
            '<!DOCTYPE html>\n<html lang="{}"><head><meta charset="utf-8"><title>{}</title>'
            "</head><body>{}</body></html>\n"
        ).format(language_of(language), subject, Markup("").join(parts))
    )
