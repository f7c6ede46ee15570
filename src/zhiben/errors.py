"""The error tree. Each error knows its HTTP status, a stable code and its message in zh-CN and en.

ZhibenError
├── InvalidInputError            422  a field is wrong; `details.fields` says which and why
│   ├── InvalidUsccError         422
│   └── EvidenceRejectedError    422
├── AuthenticationError          401
├── RateLimitedError             429
├── PermissionDeniedError        403  in scope, but this role may not do it
├── NotFoundError                404  also for anything outside the caller's scope
└── ConflictError                409
    ├── IllegalTransitionError   409  names the current state and the actions allowed now
    ├── StaleVersionError        409  someone else changed it first (optimistic concurrency)
    ├── DuplicateError           409
    ├── ReferralTransitionError  409  a referral (移送) cannot take this step in its current state
    └── TipoffTransitionError    409  (an IllegalTransitionError) a tip-off cannot take this step now
"""

from __future__ import annotations

from typing import Any, ClassVar


class ZhibenError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"
    message_zh: ClassVar[str] = "内部错误"
    message_en: ClassVar[str] = "internal error"

    def __init__(self, **details: Any) -> None:
        self.details = details
        super().__init__(self.message("en"))

    def message(self, language: str) -> str:
        template = self.message_en if language.startswith("en") else self.message_zh
        try:
            return template.format(**self.details)
        except (KeyError, IndexError):
            return template


class InvalidInputError(ZhibenError):
    """`fields` is a list of {"field", "reason", "message"}."""

    status = 422
    code = "invalid_input"
    message_zh = "输入有误：{summary}"
    message_en = "invalid input: {summary}"

    def __init__(self, field: str, reason: str, message: str, **details: Any) -> None:
        fields = [{"field": field, "reason": reason, "message": message}]
        super().__init__(summary=f"{field}: {message}", fields=fields, **details)

    @classmethod
    def of(cls, problems: list[tuple[str, str, str]]) -> InvalidInputError:
        """One error for several wrong fields, each (field, reason, message), so a form shows them all."""
        error = cls(*problems[0])
        error.details["fields"] = [{"field": f, "reason": r, "message": m} for f, r, m in problems]
        if len(problems) > 1:
            error.details["summary"] += f" (and {len(problems) - 1} more)"
        return error


class InvalidUsccError(InvalidInputError):
    code = "invalid_uscc"
    message_zh = "统一社会信用代码无效：{summary}"
    message_en = "invalid unified social credit code: {summary}"


class EvidenceRejectedError(InvalidInputError):
    code = "evidence_rejected"
    message_zh = "证据文件不被接受：{summary}"
    message_en = "evidence file rejected: {summary}"


class AuthenticationError(ZhibenError):
    status = 401
    code = "not_authenticated"
    message_zh = "未登录或登录已失效"
    message_en = "not logged in, or the login has expired"


class RateLimitedError(ZhibenError):
    status = 429
    code = "rate_limited"
    message_zh = "尝试过于频繁，请稍后再试"
    message_en = "too many attempts, try again later"


class PermissionDeniedError(ZhibenError):
    status = 403
    code = "permission_denied"
    message_zh = "当前角色无权执行此操作：{action}"
    message_en = "your role may not do this: {action}"


class FormExpiredError(ZhibenError):
    """A web form came without the session's anti-forgery token (CSRF), or with another session's."""

    status = 403
    code = "form_expired"
    message_zh = "表单已失效，请刷新页面后重试"
    message_en = "the form has expired; reload the page and try again"


class NotFoundError(ZhibenError):
    status = 404
    code = "not_found"
    message_zh = "未找到{kind}：{key}"
    message_en = "{kind} not found: {key}"


class ConflictError(ZhibenError):
    status = 409
    code = "conflict"
    message_zh = "冲突：{reason}"
    message_en = "conflict: {reason}"


class IllegalTransitionError(ConflictError):
    code = "illegal_transition"
    message_zh = "隐患当前状态为“{state}”，不能执行“{action}”；当前可执行：{allowed_text}"
    message_en = "the hazard is {state}; {action} is not allowed now; allowed: {allowed_text}"

    def __init__(self, state: str, action: str, allowed: list[str], **details: Any) -> None:
        super().__init__(
            state=state, action=action, allowed=allowed, allowed_text=", ".join(allowed) or "—", **details
        )


class StaleVersionError(ConflictError):
    code = "stale_version"
    message_zh = "该记录已被他人修改（当前版本 {current}，提交的版本 {given}），请刷新后重试"
    message_en = (
        "the record was changed by someone else (now version {current}, you sent {given}); reload and retry"
    )


class DuplicateError(ConflictError):
    code = "duplicate"
    message_zh = "已存在：{kind} {key}"
    message_en = "already exists: {kind} {key}"


class ReferralTransitionError(ConflictError):
    code = "referral_illegal_transition"
    message_zh = "移送当前状态为“{state}”，不能执行“{action}”；当前可执行：{allowed_text}"
    message_en = "the referral is {state}; {action} is not allowed now; allowed: {allowed_text}"

    def __init__(self, state: str, action: str, allowed: list[str], **details: Any) -> None:
        super().__init__(
            state=state, action=action, allowed=allowed, allowed_text=", ".join(allowed) or "—", **details
        )


class TipoffTransitionError(IllegalTransitionError):
    """A tip-off (举报) cannot take this step in its current state."""

    message_zh = "举报当前状态为“{state}”，不能执行“{action}”；当前可执行：{allowed_text}"
    message_en = "the tip-off is {state}; {action} is not allowed now; allowed: {allowed_text}"
