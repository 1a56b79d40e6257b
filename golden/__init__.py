"""Golden models: functional (numpy, vectorized, bit-exact) and cycle-level."""
