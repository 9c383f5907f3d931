"""services/ingest: the one write entry: command lines parsed, sealed, signed, recorded."""
