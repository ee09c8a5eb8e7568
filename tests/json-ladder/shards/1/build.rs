//! Generates part 2 of 4 of the JSON ladder; the code is in `../../shard.rs`.

/// Which part this is.
const SHARD: usize = 1;

include!("../../shard.rs");
