//! Part 2 of 4 of the JSON ladder's generated code: one module per schema and the
//! table the ladder test walks (see the `evgen-json-ladder` crate).

include!(concat!(env!("OUT_DIR"), "/shard.rs"));
