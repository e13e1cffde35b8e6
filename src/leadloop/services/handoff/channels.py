"""The two delivery channels: signed webhooks (httpx) and e-mail over SMTP (smtplib).

Each returns an :class:`Outcome`; neither raises for a failed delivery, because a failure
is data (retried or dead-lettered by the worker), not an error of the worker.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx
import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from leadloop import __version__
from leadloop.domain.delivery import DEAD, RETRY, classify_status
from leadloop.domain.handoff import EVENT_ESCALATED
from leadloop.domain.signing import (
    ATTEMPT_HEADER,
    DELIVERY_ID_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    sign,
)
from leadloop.services.handoff.config import SmtpConfig
from leadloop.services.handoff.notify import webhook_body
from leadloop.store.outbox import DELIVERED, OutboxItem


@dataclass(frozen=True, slots=True)
class Outcome:
    """``kind`` is delivered, retry or dead (before counting attempts)."""

    kind: str
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None


def post_webhook(
    client: httpx.Client, item: OutboxItem, url: str, secret: str, timeout_s: float
) -> Outcome:
    """POST the signed body; 2xx delivered, 408/425/429/5xx and network errors retried."""
    body = orjson.dumps(webhook_body(item))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Leadloop-Webhooks/{__version__}",
        SIGNATURE_HEADER: sign(secret, body, int(time.time())),
        DELIVERY_ID_HEADER: item.delivery_id,
        EVENT_HEADER: item.event,
        ATTEMPT_HEADER: str(item.attempts),
    }
    try:
        response = client.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.TimeoutException:
        return Outcome(RETRY, error=f"timed out after {timeout_s}s")
    except httpx.TransportError as exc:
        return Outcome(RETRY, error=f"{type(exc).__name__}: {str(exc)[:200]}")
    kind = classify_status(response.status_code)
    error = None if kind == DELIVERED else f"HTTP {response.status_code}: {response.text[:200]}"
    return Outcome(kind, response.status_code, error, _retry_after(response))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


_templates = Environment(
    loader=PackageLoader("leadloop", "templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render_email(item: OutboxItem, sender: str) -> EmailMessage:
    """The hand-off (or escalation) e-mail, plain text and HTML, from the shipped template."""
    items: list[dict[str, Any]] = item.payload["items"]
    escalated = item.event == EVENT_ESCALATED
    context = {"items": items, "escalated": escalated, "delivery_id": item.delivery_id}
    message = EmailMessage()
    message["Subject"] = _subject(items, escalated)
    message["From"] = sender
    message["To"] = item.recipient or ""
    message["Message-ID"] = make_msgid(idstring=item.delivery_id, domain="leadloop")
    message[DELIVERY_ID_HEADER] = item.delivery_id
    message[EVENT_HEADER] = item.event
    message.set_content(_templates.get_template("email/handoff.txt.j2").render(context))
    html = _templates.get_template("email/handoff.html.j2").render(context)
    message.add_alternative(html, subtype="html")
    return message


def _subject(items: list[dict[str, Any]], escalated: bool) -> str:
    first = items[0]["lead"]
    who = first.get("name") or first.get("email_masked") or "a lead"
    account = (first.get("account") or {}).get("name")
    label = f"{who} ({account})" if account else who
    more = f" and {len(items) - 1} more" if len(items) > 1 else ""
    if escalated:
        return f"Service level missed: {label}{more}"
    hot = "Hot " if any(i.get("hot") for i in items) else ""
    noun = "sales-ready lead" if len(items) == 1 else f"{len(items)} sales-ready leads"
    return f"{hot}{noun}: {label}{more}"


def send_email(item: OutboxItem, config: SmtpConfig) -> Outcome:
    """One SMTP session per message; 5xx refusals are permanent, the rest retried."""
    assert config.host is not None
    message = render_email(item, config.sender)
    try:
        with _connect(config) as smtp:
            if config.username:
                smtp.login(config.username, config.password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        kind = DEAD if all(c >= 500 for c in codes) else RETRY
        return Outcome(kind, codes[0] if codes else None, f"recipient refused: {codes}")
    except smtplib.SMTPResponseException as exc:
        kind = DEAD if exc.smtp_code >= 500 else RETRY
        return Outcome(kind, exc.smtp_code, f"SMTP {exc.smtp_code}: {exc.smtp_error[:200]!r}")
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(RETRY, error=f"{type(exc).__name__}: {str(exc)[:200]}")
    return Outcome(DELIVERED, 250)


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    assert config.host is not None
    if config.tls == "tls":
        return smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout_s, context=ssl.create_default_context()
        )
    smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
    if config.tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp
