"""Every URL pattern of the project as concrete paths, for the matrix and tenancy tests.

The walk runs over the live resolver, so URLs added by later issues are covered without editing
the tests. Parameters are filled by converter: a uuid with the id under test, anything else with a
harmless placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
PLACEHOLDERS = {"str": "x" * 22, "slug": "x", "int": "1", "path": "x"}


@dataclass(frozen=True)
class Route:
    template: str  # "/accounts/users/<uuid:user_id>/"
    callback: Callable[..., Any]
    name: str
    params: tuple[tuple[str, str], ...]  # (converter, name)

    @property
    def takes_arguments(self) -> bool:
        return bool(self.params)

    @property
    def uuid_params(self) -> list[str]:
        return [name for conv, name in self.params if conv == "uuid"]

    def path(self, uuid_value: str = "", by_name: dict[str, str] | None = None) -> str:
        """The template filled: uuid slots with `by_name[slot]` where given, else `uuid_value`."""
        names = by_name or {}

        def fill(match: re.Match[str]) -> str:
            conv = match.group("conv") or "str"
            if conv == "uuid":
                return names.get(match.group("name"), uuid_value)
            return PLACEHOLDERS.get(conv, "x")

        return PARAM.sub(fill, self.template)


def _route_string(pattern: Any) -> str | None:
    """The route of a `path()`; a `re_path()` only when it has no groups (else it is skipped)."""
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    regex = pattern.regex
    if regex.groups:
        return None
    return str(pattern).lstrip("^").rstrip("$").replace("\\", "")


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for entry in patterns:
            part = _route_string(entry.pattern)
            if part is None:
                continue
            if isinstance(entry, URLResolver):
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + part, ns)
            elif isinstance(entry, URLPattern):
                template = "/" + prefix + part
                params = tuple(
                    (m.group("conv") or "str", m.group("name")) for m in PARAM.finditer(template)
                )
                name = f"{namespace}{entry.name or ''}"
                found.append(Route(template, entry.callback, name, params))

    walk(get_resolver().url_patterns, "", "")
    return found
