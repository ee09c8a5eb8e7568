//! One compile-fail fixture per diagnostic of `#[derive(Event)]`, each with its
//! `.stderr` (re-bless with `TRYBUILD=overwrite` when the toolchain moves), and
//! a pass fixture that uses every feature.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/*.rs");
}
