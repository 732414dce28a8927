//! `mpstore`: inspect and script a store, tour the platforms, bridge JavaScript hosts.
//! Run `mpstore --help` for the commands and exit codes.

use clap::Parser;

fn main() {
    let cli = mpstore::cli::args::Cli::parse();
    std::process::exit(mpstore::cli::run(cli));
}
