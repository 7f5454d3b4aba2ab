//! Exact vote counting. Pure: ballots in, a result with every round out, no IO and no floating point.
