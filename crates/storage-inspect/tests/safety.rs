//! Safe by default: loopback only, the token on every request, the server's own `Host`, no
//! CORS, and the page's headers on every answer.

mod common;

use common::{ask, Ask, PORT};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use storage_api::Mpstore;
use storage_core::Dialect;
use storage_inspect::{Inspector, Options};

const ROUTES: [(&str, &str); 10] = [
    ("GET", "/"),
    ("GET", "/app.js"),
    ("GET", "/app.css"),
    ("GET", "/api/namespaces"),
    ("GET", "/api/entries?ns=%7B%22kind%22%3A%22local%22%2C%22user%22%3A%22u%22%2C%22app%22%3A%22a%22%7D"),
    ("GET", "/api/leaderboard?game=g"),
    ("POST", "/api/call"),
    ("GET", "/api/export"),
    ("POST", "/api/import"),
    ("GET", "/api/events"),
];

fn status(route: (&str, &str), how: Ask) -> u16 {
    ask(&Mpstore::in_memory(), route.0, route.1, how).status
}

#[test]
fn every_route_refuses_a_request_without_the_token() {
    for route in ROUTES {
        assert_eq!(status(route, Ask::no_token()), 401, "{route:?}");
    }
}

#[test]
fn every_route_refuses_a_wrong_token() {
    for wrong in ["", "0", &"0".repeat(64), &common::token().as_str()[1..]] {
        for route in ROUTES {
            assert_eq!(status(route, Ask::token(wrong)), 401, "{route:?} {wrong:?}");
        }
    }
}

#[test]
fn the_token_opens_the_page_by_header_or_by_query() {
    let store = Mpstore::in_memory();
    assert_eq!(ask(&store, "GET", "/", Ask::default()).status, 200);
    let by_query = format!("/app.js?token={}", common::token().as_str());
    assert_eq!(ask(&store, "GET", &by_query, Ask::no_token()).status, 200);
}

#[test]
fn a_request_naming_another_host_is_refused_even_with_the_token() {
    let store = Mpstore::in_memory();
    for host in [
        "evil.example:4000",
        "127.0.0.1",
        "127.0.0.1:1",
        "localhost.evil:80",
    ] {
        let got = ask(&store, "GET", "/api/namespaces", Ask::default().host(host));
        assert_eq!(got.status, 421, "{host}");
    }
    let local = format!("localhost:{PORT}");
    assert_eq!(
        ask(&store, "GET", "/", Ask::default().host(&local)).status,
        200
    );
}

#[test]
fn no_answer_ever_allows_another_origin() {
    let store = Mpstore::in_memory();
    for how in [Ask::default(), Ask::no_token()] {
        for route in ROUTES.into_iter().chain([("OPTIONS", "/api/call")]) {
            let got = ask(
                &store,
                route.0,
                route.1,
                how.clone().origin("https://evil.example"),
            );
            let cors: Vec<_> = got
                .headers
                .keys()
                .filter(|k| k.as_str().starts_with("access-control-"))
                .collect();
            assert!(cors.is_empty(), "{route:?}: {cors:?}");
        }
    }
}

#[test]
fn every_answer_carries_the_policy_that_runs_no_inline_script() {
    let store = Mpstore::in_memory();
    for how in [Ask::default(), Ask::no_token()] {
        for route in ROUTES {
            let got = ask(&store, route.0, route.1, how.clone());
            let csp = got.header("content-security-policy");
            assert!(csp.contains("script-src 'self'"), "{route:?}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{route:?}: {csp}");
            assert_eq!(got.header("x-content-type-options"), "nosniff");
            assert_eq!(got.header("referrer-policy"), "no-referrer");
        }
    }
}

#[test]
fn the_page_script_builds_the_document_from_text_only() {
    // The browser test shows stored markup rendered as text; this keeps the script from growing
    // a door that parses markup.
    let script = include_str!("../assets/app.js");
    for door in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!script.contains(door), "app.js uses {door}");
    }
}

/// An HTTP/1.1 GET over a real socket: the status line.
fn get_over(addr: SocketAddr, path: &str, host: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(5))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

#[test]
fn it_listens_on_127_0_0_1_only() {
    let inspector = Inspector::start(
        Mpstore::in_memory(),
        Options {
            port: 0,
            dialect: Dialect::Wx,
        },
    )
    .unwrap();
    let port = inspector.port();
    assert_eq!(
        inspector.url(),
        format!("http://127.0.0.1:{port}/?token={}", inspector.token())
    );
    let host = format!("127.0.0.1:{port}");
    let ours = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let path = format!("/?token={}", inspector.token());
    assert_eq!(get_over(ours, &path, &host).unwrap(), "HTTP/1.1 200 OK");
    // Another address of this machine (on Linux every 127/8 address is local): a server bound to
    // every interface would answer there; this one must not.
    let other = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), port));
    assert!(
        get_over(other, &path, &host).is_err(),
        "answered on 127.0.0.2"
    );
    inspector.stop();
    assert!(
        get_over(ours, &path, &host).is_err(),
        "still serving once stopped"
    );
}
