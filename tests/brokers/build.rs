//! The real catalogue, generated exactly as a service's build.rs would.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    evgen::Config::new().catalog("../../schemas").compile()?;
    Ok(())
}
