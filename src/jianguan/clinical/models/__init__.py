"""Every model registers itself on import; importing this package loads them all."""

from . import (  # noqa: F401
    body,
    cardiovascular,
    classifications,
    diabetes,
    energy,
    kidney,
    questionnaires,
)
