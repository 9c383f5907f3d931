"""The verdict of a bundle check, in Chinese and English: what was proven, and what was not.

`verdict(steps, trust)` takes the checks as they ran (name, and True / False / None for
held / failed / skipped) and the trust roots the auditor supplied, and states:

- the headline: 不成立 INVALID when a check failed; 未验证 UNVERIFIED when nothing ties the
  log to a key obtained out of band (no pinned log key, no witness quorum): every check may
  hold on a bundle forged whole; otherwise 成立 VERIFIED, within the limits listed;
- what each check that held proves;
- what was not proven: each failed or skipped check, each trust root not supplied, and what no
  bundle can prove (that the recorded facts are true; that the actor key is the actor's).

A skipped check is never stated as proven. Check names it does not know are listed under
their own name, so new checks are not silently left out of the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from audit.bundle import BundleCheck

__all__ = ["Statement", "Trust", "Verdict", "verdict"]


class Ran(Protocol):
    """One check as it ran (audit.bundle.Step has this shape)."""

    @property
    def name(self) -> str: ...

    @property
    def ok(self) -> bool | None: ...


@dataclass(frozen=True)
class Statement:
    """One sentence of the verdict, in both languages."""

    zh: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


# What a check proves when it holds.
PROVES: dict[str, Statement] = {
    "format": Statement("证明包字段齐全、格式正确", "the bundle is complete and well formed"),
    "event": Statement(
        "事件是规范的（RFC 8785）命令信封", "the event is a canonical (RFC 8785) command envelope"
    ),
    "signature": Statement(
        "事件由所附行为人公钥对应的私钥签名，签名后未被改动",
        "the event was signed with the private key of the enclosed actor key and has not "
        "changed since",
    ),
    "leaf": Statement(
        "日志叶子记录的正是该事件及其签名",
        "the log leaf records exactly this event and its signature",
    ),
    "checkpoint": Statement(
        "检查点（树大小与根哈希）由日志密钥签名",
        "the checkpoint (size and root) is signed by the log key",
    ),
    "inclusion": Statement(
        "该叶子位于检查点所承诺的日志树中（RFC 6962 包含证明）",
        "the leaf is in the log tree the checkpoint commits to (RFC 6962 inclusion proof)",
    ),
    "consistency": Statement(
        "检查点的树是已锚定之树的前缀（一致性证明）",
        "the checkpoint's tree is a prefix of the anchored tree (consistency proof)",
    ),
    "contract": Statement(
        "锚定记录指向您固定的合约地址", "the anchor names the contract address you pinned"
    ),
    "anchor": Statement(
        "已锚定的根哈希记录在链上该笔交易中",
        "the anchored root is recorded on chain in that transaction",
    ),
    "witnesses": Statement(
        "独立见证人对检查点的联署达到法定数",
        "independent witnesses cosigned the checkpoint, up to the quorum required",
    ),
    "trust": Statement(
        "检查点由您在外部获得的日志密钥或见证人法定数所认可",
        "the checkpoint is vouched for by a log key or a witness quorum you obtained out of band",
    ),
    "receipt": Statement(
        "签名回执所承诺的叶子位于日志中的承诺位置",
        "the leaf a signed receipt promised is in the log at the promised position",
    ),
}

# What no bundle check proves, whatever held.
NEVER = (
    Statement(
        "所记录的事实本身是否真实（签名只证明谁在何时声明了什么）",
        "whether the recorded facts are true (a signature proves who declared what, not that "
        "it happened)",
    ),
    Statement(
        "行为人公钥确属该行为人：此为平台登记的声明，由 `anjian audit verify` 对整个日志检查",
        "that the actor key belongs to the actor: that is the platform registry's claim, "
        "checked over the whole log by `anjian audit verify`",
    ),
)


@dataclass(frozen=True)
class Trust:
    """The trust roots the auditor supplied out of band (`anjian audit roots` prints them)."""

    log_key_pinned: bool = False
    contract_pinned: bool = False
    cosignatures: int = 0  # valid cosignatures by the witness keys supplied
    quorum: int = 0  # cosignatures required (0: no witness was asked for)

    @property
    def witnessed(self) -> bool:
        return self.quorum > 0 and self.cosignatures >= self.quorum

    @property
    def anchored_log(self) -> bool:
        """The log is tied to a key obtained out of band: pinned, or cosigned by a quorum."""
        return self.log_key_pinned or self.witnessed


@dataclass(frozen=True)
class Verdict:
    """The headline, what was proven and what was not."""

    status: str  # VERIFIED, UNVERIFIED or INVALID
    headline: Statement
    proven: list[Statement] = field(default_factory=list)
    not_proven: list[Statement] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headline": self.headline.to_json(),
            "proven": [s.to_json() for s in self.proven],
            "not_proven": [s.to_json() for s in self.not_proven],
        }

    def lines(self) -> list[str]:
        """The verdict as plain text, each statement in Chinese then English."""
        out = [f"{self.headline.zh}", f"{self.headline.en}", "", "已证明 Proven:"]
        out += [f"  ✓ {s.zh}\n    {s.en}" for s in self.proven] or ["  （无 none）"]
        out += ["未证明 Not proven:"]
        out += [f"  - {s.zh}\n    {s.en}" for s in self.not_proven]
        return out


def verdict(steps: Sequence[Ran], trust: Trust) -> Verdict:
    """What `steps` (the checks as they ran) prove under `trust`, in Chinese and English."""
    failed = [s.name for s in steps if s.ok is False]
    proven = [PROVES.get(s.name, _unknown(s.name)) for s in steps if s.ok is True]
    not_proven: list[Statement] = []
    for s in steps:
        if s.ok is False:
            not_proven.append(Statement(f"检查“{s.name}”未通过", f"the {s.name} check failed"))
        elif s.ok is None:
            what = PROVES.get(s.name, _unknown(s.name))
            not_proven.append(
                Statement(f"未检查（{s.name}）：{what.zh}", f"not checked ({s.name}): {what.en}")
            )
    not_proven += _missing_roots(trust)
    not_proven += NEVER
    if failed:
        headline = Statement(
            f"不成立：检查未通过（{'、'.join(failed)}）",
            f"INVALID: checks failed ({', '.join(failed)})",
        )
        return Verdict("INVALID", headline, proven, not_proven)
    if not trust.anchored_log:
        headline = Statement(
            "未验证：没有可信的日志密钥（所有检查均可能在整体伪造的证明包上成立）",
            "UNVERIFIED: no trusted log key (every check may hold on a bundle forged whole)",
        )
        return Verdict("UNVERIFIED", headline, proven, not_proven)
    headline = Statement(
        "成立：以下所列各项已证明，未证明事项见下",
        "VERIFIED: what is listed below as proven holds; the limits follow",
    )
    return Verdict("VERIFIED", headline, proven, not_proven)


def _unknown(name: str) -> Statement:
    return Statement(f"检查“{name}”成立", f"the {name} check held")


def _missing_roots(trust: Trust) -> list[Statement]:
    out: list[Statement] = []
    if not trust.log_key_pinned:
        out.append(
            Statement(
                "日志密钥取自证明包本身，未与在外部获得的密钥比对（请用 --log-key 固定）",
                "the log key was taken from the bundle itself, not compared with one obtained "
                "out of band (pin it with --log-key)",
            )
        )
    if trust.quorum == 0:
        out.append(
            Statement(
                "无独立见证人联署：运营方可向不同的人出示不同的日志，或重写历史而不被未持有旧检查点者察觉",
                "no independent witness cosigned: the operator could show different logs to "
                "different people, or rewrite history unnoticed by anyone without an old "
                "checkpoint",
            )
        )
    elif not trust.witnessed:
        out.append(
            Statement(
                f"见证人联署不足法定数（{trust.cosignatures}/{trust.quorum}）",
                f"the witness quorum was not reached ({trust.cosignatures}/{trust.quorum})",
            )
        )
    if not trust.contract_pinned:
        out.append(
            Statement(
                "锚定合约地址未固定：链上记录可能来自运营方新部署的合约（请用 --contract 固定）",
                "the anchor contract was not pinned: the on-chain record may come from a "
                "contract the operator redeployed (pin it with --contract)",
            )
        )
    return out


def bundle_verdict(
    result: BundleCheck,
    *,
    log_key_pinned: bool,
    contract_pinned: bool,
    witnesses: int,
    quorum: int | None,
) -> Verdict:
    """The verdict on `audit check`'s result: the trust roots are what the auditor passed
    (`witnesses` keys, `quorum` of them required, default all); the fail-closed `trust` step
    of a bundle checked with no root is the UNVERIFIED headline, not a failed check."""
    need = (witnesses if quorum is None else quorum) if witnesses else 0
    cosigned = any(s.name == "witnesses" and s.ok is True for s in result.steps)
    steps = [s for s in result.steps if not (s.name == "trust" and result.unverified)]
    trust = Trust(log_key_pinned, contract_pinned, need if cosigned else 0, need)
    return verdict(steps, trust)
