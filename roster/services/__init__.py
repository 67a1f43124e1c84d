"""The business rules. Each state change has exactly one function here, and each call is one transaction."""
