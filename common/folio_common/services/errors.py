"""The one shape of a service's refusal, which views turn into a form error or a 4xx."""

from __future__ import annotations


class ServiceError(ValueError):
    """A request a service refuses. The message is for the person who made it; `field` names
    the input at fault, or is None when the request as a whole is refused.

    The message is English (the API's language), marked for the catalog with N_; any values go
    in `params` as `%(name)s` placeholders, so the web can show it translated (`template`)."""

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.template = message
        self.params = params
