//! The storage inspector (storage-inspect) over HTTP on loopback, as its page uses it: the first
//! page of a namespace of 10,000 keys against one of 10 keys, and a page refresh (the namespace
//! list and that first page) while a program writes 1,000 values a second with the page's event
//! stream open and refreshing on every event, against the same refresh with the store idle.

use super::Ctx;
use crate::harness::{interleave, median, rotate, Contender};
use crate::peers::full_stack;
use crate::report::{Report, Row, Section, Target, Value};
use crate::suites::ops::{baseline_row, ratio_row};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage_core::{Dialect, Scope};
use storage_inspect::{Inspector, Options};
use storage_sled::Durability;

/// Keys of the big namespace; the small one holds 10.
pub const BIG: usize = 10_000;
/// The program's write rate while the page is measured.
pub const WRITES_PER_SECOND: u64 = 1_000;

/// One HTTP/1.1 GET on a fresh connection, read whole; panics unless it answers 200.
fn get(port: u16, token: &str, path: &str) -> usize {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the inspector");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-mpstore-token: {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{path}: {}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
    answer.len()
}

/// `?ns=` for the local namespace of app `app`, percent-encoded.
fn ns_query(app: &str) -> String {
    format!("ns=%7B%22kind%22%3A%22local%22%2C%22user%22%3A%22u%22%2C%22app%22%3A%22{app}%22%7D")
}

/// What the page fetches on a refresh: the namespaces, then the first page of the big one.
fn refresh(port: u16, token: &str) {
    get(port, token, "/api/namespaces?dialect=wx");
    get(
        port,
        token,
        &format!("/api/entries?{}&limit=50&dialect=wx", ns_query("big")),
    );
}

/// A program writing at [`WRITES_PER_SECOND`] into the big namespace (overwriting its keys) and
/// a page following the event stream, refreshing on each event, until `stop`.
struct Load {
    stop: Arc<AtomicBool>,
    writes: Arc<AtomicU64>,
    events: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
    started: Instant,
}

impl Load {
    fn start(store: &storage_api::Mpstore, port: u16, token: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let (writes, events) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let wx = store
            .mini_program("u", "big", Scope::App)
            .expect("namespace")
            .wx();
        let (stop_w, count) = (stop.clone(), writes.clone());
        let writer = std::thread::spawn(move || {
            let start = Instant::now();
            let mut i = 0u64;
            while !stop_w.load(Ordering::Relaxed) {
                let due = start + Duration::from_micros(i * 1_000_000 / WRITES_PER_SECOND);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let key = format!("key{:05}", i % BIG as u64);
                wx.set_storage_sync(key.as_str(), format!("written {i}").as_str())
                    .expect("write");
                count.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        });
        let (stop_p, seen, token) = (stop.clone(), events.clone(), token.to_owned());
        let page = std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.set_read_timeout(Some(Duration::from_millis(300)))
                .expect("timeout");
            write!(
                s,
                "GET /api/events?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
            )
            .expect("send");
            let mut lines = BufReader::new(s);
            let mut line = String::new();
            while !stop_p.load(Ordering::Relaxed) {
                line.clear();
                match lines.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) if line.starts_with("data: ") => {
                        seen.fetch_add(1, Ordering::Relaxed);
                        refresh(port, &token);
                    }
                    _ => {}
                }
            }
        });
        Load {
            stop,
            writes,
            events,
            threads: vec![writer, page],
            started: Instant::now(),
        }
    }

    /// Stops both threads; answers (writes per second, events per second) over the load's life.
    fn finish(self) -> (f64, f64) {
        self.stop.store(true, Ordering::Relaxed);
        let took = self.started.elapsed().as_secs_f64();
        for t in self.threads {
            t.join().expect("load thread");
        }
        (
            self.writes.load(Ordering::Relaxed) as f64 / took,
            self.events.load(Ordering::Relaxed) as f64 / took,
        )
    }
}

/// Adds the inspector's sections.
pub fn run(ctx: &Ctx, report: &mut Report) {
    let dir = ctx.dir("inspect");
    let store = full_stack(&dir, Durability::Buffered);
    for (app, n) in [("small", 10), ("big", BIG)] {
        let wx = store
            .mini_program("u", app, Scope::App)
            .expect("namespace")
            .wx();
        for i in 0..n {
            wx.set_storage_sync(
                format!("key{i:05}").as_str(),
                format!("value of {i}, a short string").as_str(),
            )
            .expect("seed");
        }
    }
    store.flush().expect("flush the seed");
    let inspector = Inspector::start(
        store.clone(),
        Options {
            port: 0,
            dialect: Dialect::Wx,
        },
    )
    .expect("start the inspector");
    let (port, token) = (inspector.port(), inspector.token().to_owned());

    let mut contenders: Vec<Contender> = [("small", 10), ("big", BIG)]
        .into_iter()
        .map(|(app, n)| {
            let path = format!("/api/entries?{}&limit=50&dialect=wx", ns_query(app));
            let token = token.clone();
            Contender::new(
                format!(
                    "first page (50 entries) of a namespace of {} keys",
                    crate::suites::count_label(n as u64)
                ),
                move |_| {
                    std::hint::black_box(get(port, &token, &path));
                },
            )
        })
        .collect();
    let samples = interleave(ctx.durable, &mut contenders);
    report.sections.push(Section {
        title: "inspector: a namespace's first page".into(),
        baseline:
            "`GET /api/entries?limit=50` on a fresh loopback connection to `storage-inspect` \
                   over the encrypted buffered store (wx values of about 30 bytes): the keys are \
                   listed, only the page's 50 entries read. The requirement is the absolute figure \
                   of the 10,000-key row: at most 300 ms. Ratio to a namespace of 10 keys, paired \
                   per round."
                .into(),
        rows: vec![baseline_row(&samples, 0), ratio_row(&samples, 1, 0)],
    });

    let mut rates = Vec::new();
    let modes = [false, true];
    let values = rotate(ctx.rounds, &modes, |&writing| {
        let load = writing.then(|| Load::start(&store, port, &token));
        if load.is_some() {
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut took = Vec::new();
        let until = Instant::now() + ctx.window;
        while Instant::now() < until {
            let t = Instant::now();
            refresh(port, &token);
            took.push(t.elapsed().as_secs_f64());
        }
        if let Some(load) = load {
            rates.push(load.finish());
        }
        median(&took)
    });
    let paired: Vec<f64> = values[1]
        .iter()
        .zip(&values[0])
        .map(|(w, i)| w / i)
        .collect();
    let writes = median(&rates.iter().map(|r| r.0).collect::<Vec<_>>());
    let events = median(&rates.iter().map(|r| r.1).collect::<Vec<_>>());
    report.sections.push(Section {
        title: "inspector: a page refresh while the program writes".into(),
        baseline: format!(
            "A refresh as the page makes it (`/api/namespaces`, then the first page of the \
             10,000-key namespace), back to back for each window, median per window; while \
             writing, a thread writes {WRITES_PER_SECOND} values a second into that namespace \
             through `wx.setStorageSync` and a second client holds the event stream open, \
             refreshing on every event (as the page does). Ratio to the same refresh with the \
             store idle, paired per round. Achieved: {writes:.0} writes/s, {events:.1} events/s."
        ),
        rows: vec![
            Row::plain("page refresh, store idle", Value::Time(median(&values[0]))),
            Row::ratio(
                format!("page refresh, program writing {WRITES_PER_SECOND}/s"),
                Value::Time(median(&values[1])),
                median(&paired),
            )
            .target(Target::AtMost(2.0)),
            Row::plain(
                "program's writes while the page follows",
                Value::Rate(writes),
            ),
        ],
    });
    inspector.stop();
}
