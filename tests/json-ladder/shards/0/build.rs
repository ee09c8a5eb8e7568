//! Generates part 1 of 4 of the JSON ladder; the code is in `../../shard.rs`.

/// Which part this is.
const SHARD: usize = 0;

include!("../../shard.rs");
