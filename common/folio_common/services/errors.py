"""The one shape of a service's refusal, which views turn into a form error or a 4xx."""

from __future__ import annotations


class ServiceError(ValueError):
    """A request a service refuses. The message is for the person who made it; `field` names
    the input at fault, or is None when the request as a whole is refused."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
