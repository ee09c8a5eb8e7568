//! Generates part 4 of 4 of the JSON ladder; the code is in `../../shard.rs`.

/// Which part this is.
const SHARD: usize = 3;

include!("../../shard.rs");
