"""services/ledger: the ledger service: sync, status, verify and bundle."""
