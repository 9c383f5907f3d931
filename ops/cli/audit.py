"""`anjian audit verify | proof | check`: verify records, proofs, checkpoints and anchors.

`verify` and `proof` read the platform's store through the ledger service; `check` needs no
platform at all: it verifies a bundle with audit/ alone, as `python -m audit check` does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from domain import plain_text
from ops.cli import arguments
from ops.cli.arguments import JsonOpt, LogKeyOpt, RpcOpt
from ops.cli.context import platform
from ops.cli.output import emit_json, err, fail, out

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="审计 audit: verify records, proofs, checkpoints and anchors from first principles.",
    no_args_is_help=True,
)


@audit_app.command("verify")
def audit_verify(
    *,
    as_json: JsonOpt = False,
    rpc: RpcOpt = None,
    log_key: LogKeyOpt = None,
    offline: Annotated[bool, typer.Option(help="do not check anchors on the chain")] = False,
    replay: Annotated[
        bool, typer.Option(help="also replay the log through the write path's rules")
    ] = False,
    contract: Annotated[
        str | None,
        typer.Option(
            "--contract",
            help="the Anchor contract and a block of its chain you pinned, ADDRESS@0xBLOCKHASH "
            "(best the block of an anchor you saw): flags a chain reset or replaced and a "
            "rewritten log (a deployment block number, ADDRESS@BLOCK, binds nothing)",
        ),
    ] = None,
) -> None:
    """Recheck everything from the stored bytes: events, signatures, keys, catalog, leaves,
    checkpoints, consistency, anchors and the chain. Exit 0 only when everything holds;
    otherwise list every failing record (event id, leaf index, what failed) and exit 1.
    States the trust roots it used: the log key (pinned with --log-key, or taken from the data
    directory), the chain asked, and the contracts (read from the platform's database).
    --replay also names every event the write path refuses when the log is replayed through
    it, with the error and the rule (one line each). `trust` failures and notes say what the
    chain binds: a redeployed contract, resubmitted anchors, a dev chain, the pinned --contract."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from audit.chain_trust import ContractPin
    from ops.key_directory import keys_statement
    from services.ledger.verify import trust_lines, verify

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    )
    try:
        pin = ContractPin.parse(contract) if contract else None
    except ValueError as exc:
        fail("ContractPinError", str(exc), 2)
    task = bar.add_task("审计 verifying events", total=None)
    with platform() as p, bar:
        report = verify(
            p.ledger,
            rpc_url=rpc,
            log_keys=log_key or (),
            offline=offline,
            replay=replay,
            progress=lambda n: bar.advance(task, n),
            total=lambda n: bar.update(task, total=n),
            pin=pin,
        )
        apart, keys = keys_statement(p.settings)
        if not apart:
            report.notes.append(keys)
    if as_json:
        emit_json(report.to_json())
    else:
        out.print(
            f"{report.events} events ({report.pending} not logged yet), {report.leaves} leaves, "
            f"{report.signatures} signatures, {report.checkpoints} checkpoints, "
            f"{report.anchors} anchors, {report.chain_anchors} on chain; "
            f"{report.seconds:.2f} s",
            soft_wrap=True,
        )
        for line in trust_lines(report.trust):
            out.print(f"trust: {escape(line)}", soft_wrap=True)
        for note in report.notes:
            err.print(f"[yellow]note[/]: {escape(note)}", soft_wrap=True)
        for f in report.failures:
            out.print(f"[bold red]FAIL[/] {escape(str(f))}", soft_wrap=True)
        out.print("[bold green]OK[/]" if report.ok else f"{len(report.failures)} failure(s)")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("proof")
def audit_proof(
    event_id: Annotated[str, typer.Argument(help="<subject uuid>:<version>")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the bundle here (default stdout)")
    ] = None,
) -> None:
    """Write the offline proof bundle of one event: envelope, signature, key, leaf, inclusion
    proof, signed checkpoint, log key, anchor and consistency proof (verify: audit check)."""
    from services.ledger.bundle import make_bundle

    arguments.event_id(event_id)
    with platform() as p:
        bundle = make_bundle(p.ledger, event_id)
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(plain_text.escape(text))  # the same JSON value, safe on a terminal
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(type(exc).__name__, f"cannot write {output}: {exc.strerror or exc}")
        err.print(f"bundle of {escape(event_id)} written to {escape(str(output))}")


@audit_app.command("check")
def audit_check(  # noqa: PLR0917 (typer passes each option by position)
    file: Annotated[str, typer.Argument(help="a bundle from `audit proof`, or - for stdin")],
    rpc: RpcOpt = None,
    log_key: Annotated[
        str | None, typer.Option("--log-key", help="the log's verifier key you trust")
    ] = None,
    contract: Annotated[
        str | None, typer.Option("--contract", help="the Anchor contract address you trust")
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option("--witness", help="a witness's verifier key you trust (repeatable)"),
    ] = None,
    quorum: Annotated[
        int | None, typer.Option("--quorum", help="how many witnesses must cosign (default all)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a bundle with no database: signature, leaf, signed checkpoint, witness
    cosignatures, inclusion, consistency to the anchor and, with --rpc, the anchor transaction
    on chain. Fails closed: without --log-key or --witness, "UNVERIFIED: no trusted log key".
    Exit 1 naming what failed. Needs nothing of the platform: `python -m audit check` does
    the same."""
    from audit.bundle import UNVERIFIED, check_bundle
    from audit.cosignature import WitnessKey
    from audit.errors import RpcError
    from audit.files import BUNDLE_LIMIT, read_limited
    from audit.rpc import RpcClient
    from audit.verdict import bundle_verdict

    try:
        raw = read_limited(file, BUNDLE_LIMIT, what="a proof bundle")
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:
        fail("BundleFormatError", f"cannot read {file}: {exc}", 2)
    except RecursionError:
        fail("BundleFormatError", f"cannot read {file}: nested too deeply to be a bundle", 2)
    try:
        client = RpcClient(rpc) if rpc else None
    except RpcError as exc:
        fail("RpcError", str(exc), 2)
    try:
        keys = [WitnessKey.from_vkey(v) for v in witness or ()]
        result = check_bundle(
            doc, log_key=log_key, rpc=client, contract=contract, witnesses=keys, quorum=quorum
        )
    except ValueError as exc:
        fail("BadParameter", f"--witness/--quorum: {exc}", 2)
    said = bundle_verdict(
        result,
        log_key_pinned=log_key is not None,
        contract_pinned=contract is not None,
        witnesses=len(keys),
        quorum=quorum,
    )
    if as_json:
        emit_json({**result.to_json(), "verdict": said.to_json()})
    else:
        for step in result.steps:
            mark = {True: "[green]ok[/]  ", False: "[bold red]FAIL[/]", None: "[yellow]skip[/]"}
            out.print(f"{mark[step.ok]} {step.name:<12} {escape(step.detail)}", soft_wrap=True)
        out.print("\n".join(["", *said.lines()]), soft_wrap=True, markup=False)
    if result.unverified:
        name, _, message = UNVERIFIED.partition(": ")
        fail(name, f"{message} (pin --log-key, or --witness and --quorum)")
    if not result.ok:
        names = ", ".join(s.name for s in result.failed)
        fail("BundleInvalid", f"failed: {names}")
    if result.skipped and not as_json:
        out.print(f"not checked: {', '.join(s.name for s in result.skipped)}", soft_wrap=True)


@audit_app.command("roots")
def audit_roots(as_json: JsonOpt = False) -> None:
    """What an auditor must obtain out of band: the log key, the witness keys, the chain id and
    the Anchor contract (with its deployment block). Publish them where the operator cannot
    change them; pin them in `audit check`."""
    from services.ledger.trust_roots import trust_roots

    with platform() as p:
        roots = trust_roots(
            p.ledger,
            _witness_keys(getattr(p.settings, "witnesses", None)),
            p.settings.chain_contract,
        )
    if as_json:
        emit_json(roots.to_json())
        return
    for line in roots.lines():
        out.print(line, soft_wrap=True, markup=False)


def _witness_keys(configured: object) -> list[str]:
    """The verifier keys of the configured witnesses (ANJIAN_WITNESSES, when the settings have
    it): entries with a `vkey` (attribute or key), or "URL VKEY" / "VKEY" strings."""
    if not configured:
        return []
    entries = configured.split(",") if isinstance(configured, str) else configured
    keys: list[str] = []
    for entry in entries if isinstance(entries, list | tuple) else [entries]:
        vkey = entry.get("vkey") if isinstance(entry, dict) else getattr(entry, "vkey", entry)
        if isinstance(vkey, str) and vkey.split():
            keys.append(vkey.split()[-1])
    return keys


@audit_app.command("receipt")
def audit_receipt(
    file: Annotated[str, typer.Argument(help="a receipt from `record --receipts`, or - for stdin")],
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key", help="the log's verifier key you trust (default: this data directory's)"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check that the log kept a receipt's promise: the receipt is signed by the log key, its
    notification id maps to a leaf of the log, that leaf hashes to the promised hash, and an
    inclusion proof verifies against the latest signed checkpoint. Exit 0 when included;
    otherwise exit 1 saying it is not logged yet, or that the log contradicts the receipt
    (the event was deleted or altered: the receipt proves it)."""
    from audit.files import RECEIPT_LIMIT, TooLarge, read_limited
    from ledger.errors import NoteError
    from services.ledger.receipts import check

    try:
        raw = read_limited(file, RECEIPT_LIMIT, what="a receipt")
    except OSError as exc:
        fail(type(exc).__name__, f"cannot read {file}: {exc.strerror or exc}", 2)
    except TooLarge as exc:
        fail("ReceiptRefused", f"cannot read {file}: {exc}", 2)
    with platform() as p:
        try:
            result = check(p.ledger, raw, [log_key] if log_key else ())
        except NoteError as exc:
            fail("ReceiptRefused", f"not a receipt signed by a trusted log key: {exc}")
    verdict = result.verdict
    if as_json:
        emit_json(
            {
                **verdict.to_json(),
                "trust": {"log_keys": list(result.log_keys), "pinned": result.pinned},
            }
        )
    else:
        mark = {"included": "[bold green]INCLUDED[/]", "pending": "[yellow]NOT YET LOGGED[/]"}
        out.print(
            f"{mark.get(verdict.status, '[bold red]CONTRADICTED[/]')} "
            f"{escape(verdict.receipt.event_id)}: {escape(verdict.message)}",
            soft_wrap=True,
        )
        out.print(f"trust: {escape(result.trust)}", soft_wrap=True)
    if verdict.status == "pending":
        fail("ReceiptPending", verdict.message)
    if not verdict.ok:
        fail("ReceiptContradicted", verdict.message)
