"""Build of the one C extension; everything else is declared in pyproject.toml.

ledger._ed25519 verifies a chunk of Ed25519 signatures with the GIL released (see
ledger/keys.py). It needs only a C compiler and the Python headers: libsodium is PyNaCl's own,
called through an address looked up at import.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("ledger._ed25519", sources=["ledger/_ed25519.c"])])
