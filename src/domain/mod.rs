//! Decisions that need no browser: job phases, the ledger, polling, queries, confirmation.
