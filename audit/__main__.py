"""`python -m audit check BUNDLE [--rpc URL] [--log-key VKEY] [--witness VKEY]... [--quorum K]
[--contract ADDRESS] [--json]`

The auditor's own entry point: the same check as `anjian audit check`, with nothing of the
platform loaded (the audit package, ledger primitives, PyNaCl and rfc8785). Exit 0 when every
check holds, 1 naming what failed (or "UNVERIFIED: no trusted log key" when neither a log key
nor witnesses were pinned), 2 when the bundle or a key cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from audit.bundle import UNVERIFIED, check_bundle
from audit.cosignature import WitnessKey
from audit.errors import RpcError
from audit.files import BUNDLE_LIMIT, read_limited
from audit.rpc import RpcClient
from audit.verdict import bundle_verdict


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="verify an offline proof bundle")
    check.add_argument("bundle", help="bundle file from `anjian audit proof`, or - for stdin")
    check.add_argument("--rpc", help="JSON-RPC URL of the chain the anchor is on")
    check.add_argument("--log-key", help="the log's C2SP verifier key you trust")
    check.add_argument(
        "--witness",
        action="append",
        default=[],
        help="a witness's C2SP verifier key you trust (repeatable)",
    )
    check.add_argument(
        "--quorum", type=int, help="how many of the witnesses must cosign (default: all)"
    )
    check.add_argument("--contract", help="the Anchor contract address you trust")
    check.add_argument("--json", action="store_true", help="print a JSON report")
    args = parser.parse_args(argv)
    try:
        raw = read_limited(args.bundle, BUNDLE_LIMIT, what="a proof bundle")
        doc = json.loads(raw.decode("utf-8"))
        client = RpcClient(args.rpc) if args.rpc else None
    except (OSError, ValueError, RpcError) as exc:
        print(f"BundleFormatError: cannot read {args.bundle}: {exc}", file=sys.stderr)
        return 2
    try:
        witnesses = [WitnessKey.from_vkey(v) for v in args.witness]
        result = check_bundle(
            doc,
            log_key=args.log_key,
            rpc=client,
            contract=args.contract,
            witnesses=witnesses,
            quorum=args.quorum,
        )
    except ValueError as exc:
        print(f"BadParameter: --witness/--quorum: {exc}", file=sys.stderr)
        return 2
    said = bundle_verdict(
        result,
        log_key_pinned=args.log_key is not None,
        contract_pinned=args.contract is not None,
        witnesses=len(witnesses),
        quorum=args.quorum,
    )
    if args.json:
        print(
            json.dumps(
                {**result.to_json(), "verdict": said.to_json()}, ensure_ascii=False, indent=2
            )
        )
    else:
        for step in result.steps:
            mark = {True: "ok  ", False: "FAIL", None: "skip"}[step.ok]
            print(f"{mark} {step.name:<12} {step.detail}")
        print("\n".join(["", *said.lines()]))
    if result.unverified:
        print(f"{UNVERIFIED} (pin --log-key, or --witness and --quorum)", file=sys.stderr)
        return 1
    if not result.ok:
        names = ", ".join(s.name for s in result.failed)
        print(f"BundleInvalid: failed: {names}", file=sys.stderr)
        return 1
    if result.skipped and not args.json:
        print(f"not checked: {', '.join(s.name for s in result.skipped)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
