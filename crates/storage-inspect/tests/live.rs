//! Live updates over a real socket: the event stream says the store changed when the program
//! writes, without the page asking.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;
use storage_api::Mpstore;
use storage_core::{Dialect, Scope};
use storage_inspect::{Inspector, Options};

/// The `data:` of the next `change` event on `lines`.
fn next_change(lines: &mut impl BufRead) -> u64 {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(lines.read_line(&mut line).unwrap() > 0, "the stream ended");
        if let Some(data) = line.trim_end().strip_prefix("data: ") {
            return data.parse().unwrap();
        }
    }
}

#[test]
fn a_write_by_the_program_reaches_an_open_event_stream() {
    let store = Mpstore::in_memory();
    let options = Options {
        port: 0,
        dialect: Dialect::Wx,
    };
    let inspector = Inspector::start(store.clone(), options).unwrap();
    let mut socket = TcpStream::connect(("127.0.0.1", inspector.port())).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        socket,
        "GET /api/events?token={} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        inspector.token(),
        inspector.port()
    )
    .unwrap();
    let mut lines = BufReader::new(socket);
    let first = next_change(&mut lines);
    assert_eq!(first, store.changes());
    let wx = store.mini_program("u", "a", Scope::App).unwrap().wx();
    wx.set_storage_sync("k", 1).unwrap();
    assert_eq!(next_change(&mut lines), first + 1);
    for i in 0..5 {
        wx.set_storage_sync("k", i).unwrap();
    }
    // Writes between two looks arrive as one event with the latest count.
    let mut seen = next_change(&mut lines);
    while seen < first + 6 {
        seen = next_change(&mut lines);
    }
    assert_eq!(seen, first + 6);
    inspector.stop();
}
