"""Polynomial layer for large inputs: sums of products as canonical polynomials, an e-graph of
their factorizations (classes are sub-polynomials, shared across statements), sharing-aware
extraction, and common sub-sum elimination. Associativity and commutativity of ``+`` and ``*``
are handled by canonical n-ary forms instead of rewrite rules, so 50-term sums cannot blow up."""
