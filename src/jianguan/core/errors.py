"""Stable error codes: every error a user can meet has a code and a message in both languages."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class JianguanError(Exception):
    """Base for errors shown to a user: a stable `code`, a translated `message`, the `field`."""

    code = "error"
    default_message: str | Promise = _("操作失败")

    def __init__(self, message: str | Promise | None = None, *, field: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))


class UnscopedQuery(RuntimeError):
    """A personal-data model was queried without `for_actor(actor, …)` or `unscoped(reason=…)`."""


class KeyError_(JianguanError):
    code = "key_error"


class KeyDestroyed(KeyError_):
    """The data key of this scope was erased: its fields read as tombstones (LG-09)."""

    code = "key_destroyed"
    default_message = _("该数据的密钥已被销毁")


class KeysMissing(KeyError_):
    """The key file or the key store is not there, and creating new ones would hide the loss."""

    code = "keys_missing"
    default_message = _("密钥文件或密钥库缺失：请恢复它们，或在全新安装时运行 jianguan keys init")


class KeyRetired(KeyError_):
    """The KEK version that wrapped a data key is below the minimum decryption version (ENC-04)."""

    code = "key_retired"
    default_message = _("数据密钥由已停用的主密钥版本封装，必须先重新封装")


class DecryptionFailed(KeyError_):
    code = "decryption_failed"
    default_message = _("密文校验失败")


class KekIsCurrent(KeyError_, ValueError):
    """Retiring would delete the KEK that wraps every new data key."""

    code = "kek_current"
    default_message = _("不能停用当前主密钥版本")


class KekStillInUse(KeyError_):
    """Data keys are still wrapped by a KEK version that would be retired: rewrap first."""

    code = "kek_in_use"
    default_message = _("仍有数据密钥由该主密钥版本封装，请先执行 jianguan keys rewrap")


class KekAlreadyRetired(KeyError_):
    code = "kek_already_retired"
    default_message = _("该主密钥版本已停用")


class PermissionDeniedNotFound(JianguanError):
    """D-13: outside the actor's scope the answer is the same as for a missing id."""

    code = "not_found"
    default_message = _("未找到")
