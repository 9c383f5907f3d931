"""SignatureBatch: the batch ingest's Ed25519 checks, on native threads or in Python.

Whatever runs it, a batch must judge every signature exactly as verify_signature does and name
the first one that fails, or the batch path would accept what the single path refuses.
"""

from __future__ import annotations

import os
import random
import threading

import pytest

from ledger import keys
from ledger.keys import KeyPair, SignatureBatch, native_verifier, verify_signature


def signed(n: int, seed: int) -> list[tuple[bytes, bytes, bytes]]:
    rng = random.Random(seed)
    signers = [KeyPair(rng.randbytes(32)) for _ in range(3)]
    items = []
    for i in range(n):
        key = signers[i % 3]
        message = rng.randbytes(rng.randrange(0, 600))
        items.append((key.public_key, message, key.sign(message)))
    return items


def spoil(item: tuple[bytes, bytes, bytes], how: int) -> tuple[bytes, bytes, bytes]:
    key, message, sig = item
    return [
        (key, message + b"!", sig),  # the message changed
        (key, message, sig[:-1] + bytes([sig[-1] ^ 1])),  # a flipped bit
        (key, message, sig[:63]),  # a signature of the wrong size
        (key[:31], message, sig),  # a key of the wrong size
        (bytes(32), message, sig),  # another (invalid) key
        (key, message, b""),  # what the notary passes for non-base64 text
    ][how]


def judge(items: list[tuple[bytes, bytes, bytes]], threads: int) -> int:
    batch = SignatureBatch(threads)
    for item in items:
        batch.add(*item)
    return batch.first_invalid()


@pytest.fixture(params=["native", "python"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setattr(keys, "_ed25519", None)
    return str(request.param)


def test_the_native_verifier_is_built() -> None:
    # `pip install -e .` compiles it; without it batches verify on the calling thread only and
    # batch ingest runs at about half speed (bench/RESULTS.md).
    assert native_verifier()


@pytest.mark.parametrize("threads", [0, 1, 3])
def test_a_batch_of_valid_signatures_passes(mode: str, threads: int) -> None:
    assert judge(signed(200, seed=threads), threads) == -1


def test_more_threads_than_the_native_limit_are_capped(mode: str) -> None:
    # A many-core host asks for one thread per core; the batch must still work.
    assert judge(signed(40, seed=9), 1000) == -1


def test_an_empty_batch_passes(mode: str) -> None:
    assert judge([], 1) == -1


@pytest.mark.parametrize("how", range(6))
def test_each_kind_of_bad_signature_is_found(mode: str, how: int) -> None:
    items = signed(60, seed=how)
    items[41] = spoil(items[41], how)
    assert not verify_signature(*items[41])
    assert judge(items, 2) == 41


def test_the_first_of_several_failures_is_named(mode: str) -> None:
    rng = random.Random(7)
    for trial in range(20):
        items = signed(rng.randrange(1, 300), seed=100 + trial)
        bad = sorted(rng.sample(range(len(items)), k=min(len(items), rng.randrange(1, 4))))
        for i in bad:
            items[i] = spoil(items[i], rng.randrange(6))
        assert judge(items, rng.randrange(0, 4)) == bad[0], (trial, bad)


def test_verdicts_agree_with_verify_signature_on_random_items(mode: str) -> None:
    rng = random.Random(11)
    items = signed(120, seed=11)
    for i in rng.sample(range(120), k=40):
        items[i] = spoil(items[i], rng.randrange(6))
    for i, item in enumerate(items):
        assert judge([item], 1) == (-1 if verify_signature(*item) else 0), i


def test_a_batch_is_judged_once(mode: str) -> None:
    key, message, sig = signed(1, seed=1)[0]
    batch = SignatureBatch(1)
    batch.add(key, message, sig)
    assert batch.first_invalid() == -1
    with pytest.raises(RuntimeError, match="verified already"):
        batch.first_invalid()
    with pytest.raises(RuntimeError, match="verified already"):
        batch.add(key, message, sig)


def test_only_bytes_are_accepted() -> None:
    batch = SignatureBatch(1)
    with pytest.raises(TypeError, match="must be bytes"):
        batch.add(b"k" * 32, "message", b"s" * 64)  # type: ignore[arg-type]


def test_a_dropped_batch_stops_its_threads() -> None:
    # A domain error ends a batch before first_invalid: its threads must not outlive it.
    before = threading.active_count()
    native_threads = len(os.listdir("/proc/self/task"))
    for _ in range(20):
        batch = SignatureBatch(2)
        for item in signed(50, seed=3):
            batch.add(*item)
        del batch
    assert len(os.listdir("/proc/self/task")) == native_threads
    assert threading.active_count() == before


def test_batches_on_several_python_threads_do_not_mix(mode: str) -> None:
    results: dict[int, int] = {}
    good = signed(150, seed=5)

    def run(k: int) -> None:
        items = list(good)
        if k % 2:
            items[k * 10] = spoil(items[k * 10], k % 6)
        results[k] = judge(items, 1)

    workers = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == {k: (k * 10 if k % 2 else -1) for k in range(8)}


@pytest.mark.parametrize(
    ("threads", "expected", "started"),
    [(4, 1, 0), (4, 31, 0), (4, 32, 2), (4, 1000, 4), (2, None, 2), (100, 5000, 64)],
)
def test_a_batch_starts_only_the_threads_its_size_can_use(
    threads: int, expected: int | None, started: int
) -> None:
    before = len(os.listdir("/proc/self/task"))
    batch = SignatureBatch(threads, expected)
    assert len(os.listdir("/proc/self/task")) - before == started
    assert batch.first_invalid() == -1
    assert len(os.listdir("/proc/self/task")) == before
