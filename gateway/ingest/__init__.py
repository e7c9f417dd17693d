"""Batch ingest: upload → parse → policy → validate → quarantine + one atomic Delta commit."""
