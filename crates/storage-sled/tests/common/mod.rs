//! Helpers shared by the test binaries that run without the libtest harness (`crash`, `faults`):
//! they re-execute themselves as a child process, so they have their own `main`.

/// Whether the libtest-style arguments cargo passes select the test `name`: `--list` lists it
/// and runs nothing, `--ignored` runs nothing (this test is never ignored), and positional
/// filters must match part of the name, as with `cargo test -p storage-sled FILTER`.
pub fn selected(name: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{name}: test");
        return false;
    }
    if args.iter().any(|a| a == "--ignored") {
        return false;
    }
    let exact = args.iter().any(|a| a == "--exact");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    filters.is_empty()
        || filters.iter().any(|f| {
            if exact {
                f.as_str() == name
            } else {
                name.contains(f.as_str())
            }
        })
}
