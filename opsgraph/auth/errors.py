"""Why a token was refused; the message is safe to show to the client."""

from __future__ import annotations


class AuthError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
