//! `mpstore`: inspect and script a store, tour the platforms, bridge JavaScript hosts.
//! Run `mpstore --help` for the commands and exit codes.

use clap::Parser;

fn main() {
    mpstore::stop::install();
    fix_glibc_mmap_threshold();
    let cli = mpstore::cli::args::Cli::parse();
    std::process::exit(mpstore::cli::run(cli));
}

/// Keeps glibc's mmap threshold at its initial 128 KiB: by default glibc raises it when a large
/// block is freed (sled frees 8 MiB log buffers) and then keeps up to twice that of freed memory,
/// so a long-running bridge's memory would no longer follow the store's configured caches (see
/// `docs/api.md`, `StoreOptions`).
fn fix_glibc_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; its failure changes nothing.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
