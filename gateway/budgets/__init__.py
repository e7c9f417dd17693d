"""Privacy budgets: the ε ledger of differential-privacy answers (issue 7 #5)."""
