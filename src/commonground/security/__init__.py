"""Security: who a caller is (identities, tokens) and what the caller may do (roles,
permission sets, record policies), enforced in the service layer on every path."""
