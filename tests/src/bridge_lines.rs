//! Reading what the bridge writes: one JSON response a line.

use serde_json::Value;

/// Each line of the bridge's output, parsed as JSON (a line that is not JSON panics).
pub fn responses(output: &str) -> Vec<Value> {
    output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// What each response is: its protocol error's `kind` where it has one, else its `outcome`.
pub fn kinds(responses: &[Value]) -> Vec<&str> {
    responses
        .iter()
        .map(|r| {
            r["error"]["kind"]
                .as_str()
                .unwrap_or_else(|| r["outcome"].as_str().unwrap())
        })
        .collect()
}
