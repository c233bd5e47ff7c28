//! Simulated marketplaces and shop for the demo and the tests.
