//! rpcview's integration and end-to-end tests live in the top-level `tests/` folder; this
//! crate only gives them a home in the workspace (and checks the README's Rust examples).

#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
