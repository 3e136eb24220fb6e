"""ledger: supplier work ledger (专项工作台账) and daily work ledger (每日台账)."""
