"""Masking personal data for principals without `pii:view`."""

from __future__ import annotations

PII_PERMISSION = "pii:view"


def mask_email(email: str) -> str:
    """`a***@example.com`: enough to recognise a colleague, not enough to mail them."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """Every digit but the last two replaced by `*`."""
    digits = sum(ch.isdigit() for ch in phone)
    seen = 0
    masked = []
    for ch in phone:
        if ch.isdigit():
            seen += 1
            masked.append(ch if seen > digits - 2 else "*")
        else:
            masked.append(ch)
    return "".join(masked)
