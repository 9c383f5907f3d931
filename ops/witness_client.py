"""The HTTP client of a tlog witness (services.ledger.witnesses.Witness over urllib).

`POST URL/add-checkpoint` with the body of c2sp.org/tlog-witness: "old N", the consistency
proof lines, an empty line, the signed checkpoint. 200 returns the cosignature lines; any other
status raises WitnessRefused with the witness's message (on 409, its size from the
text/x.tlog.size body); a connection that fails or times out raises WitnessUnreachable.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Sequence

from services.ledger.errors import WitnessRefused, WitnessUnreachable

__all__ = ["HttpWitness", "add_checkpoint_body"]

TIMEOUT = 10.0


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    lines = [f"old {old_size}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


class HttpWitness:
    """One configured witness: its URL (the submission prefix) and verifier key."""

    def __init__(self, url: str, vkey: str, *, timeout: float = TIMEOUT) -> None:
        self._url = url.rstrip("/")
        self._vkey = vkey
        self._timeout = timeout

    @property
    def url(self) -> str:
        return self._url

    @property
    def vkey(self) -> str:
        return self._vkey

    def add_checkpoint(self, old_size: int, proof: Sequence[bytes], note: str) -> str:
        request = urllib.request.Request(  # noqa: S310 (http(s) checked by the settings)
            f"{self._url}/add-checkpoint",
            data=add_checkpoint_body(old_size, proof, note),
            method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return str(response.read(65536).decode("utf-8"))
        except urllib.error.HTTPError as exc:
            text = exc.read(4096).decode("utf-8", "replace").strip()
            size = None
            if exc.code == 409 and text.isdigit():
                size = int(text)
                text = f"the witness's latest cosigned size is {size}, not {old_size}"
            raise WitnessRefused(exc.code, text or str(exc.reason), size) from None
        except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "reason", exc)
            raise WitnessUnreachable(f"{self._url}: {reason}") from None
