"""Control measures (风险管控措施) by the hierarchy of controls, and the flag on weakly controlled major risks.

The hierarchy (most to least effective): elimination (消除), substitution (替代), engineering controls
(工程控制), administrative controls (管理控制), personal protective equipment (个体防护). The national
exchange format classifies measures differently (工程技术 / 维护保养 / 操作行为 / 应急措施, with 个体防护
under 应急措施: `measure_classify1/2` in data-standards/dp_code_tables.csv); the two do not map one to one,
so a measure carries its hierarchy level as its own field and the exchange class separately.

The flag reads the event's *inherent* level (before controls): a major risk (重大风险) whose measures are all
administrative or PPE is flagged, and so is a major risk with no measure at all. That the inherent and
not the residual level decides is our choice (the reference is silent): a residual level computed from
administrative measures alone is exactly what the flag distrusts.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from zhiben.dualprevention.assessment import RiskLevel


class ControlLevel(StrEnum):
    elimination = "elimination"  # 消除
    substitution = "substitution"  # 替代
    engineering = "engineering"  # 工程控制
    administrative = "administrative"  # 管理控制
    ppe = "ppe"  # 个体防护

    @property
    def rank(self) -> int:
        """1 for elimination (most effective) to 5 for PPE."""
        return list(ControlLevel).index(self) + 1


WEAK = frozenset({ControlLevel.administrative, ControlLevel.ppe})


class ControlFlag(StrEnum):
    uncontrolled_major = "uncontrolled_major"  # 重大风险 with no control measure
    major_only_administrative_or_ppe = "major_only_administrative_or_ppe"  # 重大风险 only 管理措施 / 个体防护


def strongest(levels: Iterable[ControlLevel]) -> ControlLevel | None:
    """The most effective level among a risk event's measures, None when it has none."""
    return min(levels, key=lambda level: level.rank, default=None)


def control_flag(inherent: RiskLevel, levels: Iterable[ControlLevel]) -> ControlFlag | None:
    """The flag for a risk event, from its inherent level and the hierarchy levels of its measures."""
    if inherent is not RiskLevel.major:
        return None
    best = strongest(levels)
    if best is None:
        return ControlFlag.uncontrolled_major
    return ControlFlag.major_only_administrative_or_ppe if best in WEAK else None
