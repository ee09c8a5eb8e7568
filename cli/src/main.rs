//! `evgen`: see `evgen --help` and the evgen-cli crate docs for exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = evgen_cli::Cli::parse();
    match evgen_cli::run(&cli) {
        Ok(status) => status.into(),
        Err(e) if evgen_cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            evgen_cli::Status::Error.into()
        }
    }
}
