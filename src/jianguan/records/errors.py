"""Errors a user can meet in the record, each with a stable code and the field it concerns."""

from __future__ import annotations

import uuid

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jianguan.core.errors import JianguanError


class RecordsError(JianguanError):
    code = "records_error"


class InvalidValue(RecordsError):
    """A value that cannot be right (an impossible blood pressure, a malformed number)."""

    code = "invalid_value"
    default_message = _("数值不合理")

    def __init__(self, message: object = None, *, field: str | None = None, code: str = "") -> None:
        super().__init__(message, field=field)  # type: ignore[arg-type]
        if code:
            self.code = code


class DuplicateSuspected(RecordsError):
    """Enrolment found existing customers with the same ID number, mobile or name + birth date."""

    code = "duplicate_suspected"
    default_message = _("发现疑似重复的客户")

    def __init__(self, matches: list[tuple[uuid.UUID, str]]) -> None:
        super().__init__()
        self.matches = matches  # (customer id, why)


class WarningsToConfirm(RecordsError):
    """Things that may be right but need a person to confirm (D-29)."""

    code = "confirm_warnings"
    default_message = _("请确认以下提示后再提交")

    def __init__(self, warnings: list[tuple[str, str | Promise]]) -> None:
        super().__init__()
        self.warnings = warnings


class NotFound(RecordsError):
    """D-13: outside the actor's scope the answer is the same as for a missing id."""

    code = "not_found"
    default_message = _("未找到")
