"""Accounts (companies) derived from e-mail domains and ``group`` calls."""

from __future__ import annotations

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "mail.ru",
        "yandex.com",
        "yandex.ru",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "free.fr",
        "orange.fr",
        "laposte.net",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
        "libero.it",
        "rediffmail.com",
        "naver.com",
        "daum.net",
        "seznam.cz",
    }
)
"""Domains that say nothing about a person's employer."""


def company_domain(email: str | None) -> str | None:
    """The employer's domain for an e-mail, or ``None`` for free-mail and bad input.

    >>> company_domain("ana@Acme.example")
    'acme.example'
    >>> company_domain("ana@gmail.com") is None
    True
    """
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    if not domain or "." not in domain or domain in FREE_MAIL_DOMAINS:
        return None
    return domain


def domain_from_website(website: object) -> str | None:
    """Bare domain from a website trait such as ``https://www.acme.example/about``.

    >>> domain_from_website("https://www.acme.example/about")
    'acme.example'
    """
    if not isinstance(website, str) or not website.strip():
        return None
    host = website.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].split(":", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    if len(host) > 253 or "\x00" in host:  # 253: the longest DNS name
        return None
    return host if "." in host else None
