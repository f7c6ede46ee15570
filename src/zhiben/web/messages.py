"""Chinese wording for pydantic's validation errors, keyed by error type (English comes from pydantic)."""

from __future__ import annotations

from typing import Any

ZH = {
    "missing": "必填",
    "string_too_short": "长度不能少于 {min_length}",
    "string_too_long": "长度不能超过 {max_length}",
    "string_pattern_mismatch": "格式不符合要求",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
    "bool_parsing": "应为是/否 (true/false)",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "datetime_parsing": "应为 ISO 8601 日期时间",
    "datetime_from_date_parsing": "应为 ISO 8601 日期时间",
    "datetime_type": "应为 ISO 8601 日期时间",
    "timezone_aware": "日期时间须带时区（如 +08:00）",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "应为对象",
    "list_type": "应为列表",
    "too_long": "条目过多",
    "value_error": "取值无效",
}


def validation_message(error: dict[str, Any], language: str) -> str:
    if language == "en":
        return str(error["msg"])
    template = ZH.get(str(error["type"]))
    if template is None:
        return str(error["msg"])
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template
