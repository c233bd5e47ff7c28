//! Interoperability with an independent Standard Webhooks implementation: the
//! `standardwebhooks` package from PyPI (`pip install standardwebhooks`), run with python3.
//! Its signatures must pass our receiver (and its refusals match ours); our `sign` and the
//! `jlbridge webhook sign` command must pass its verifier.
use crate::webhook_support::*;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

const SCRIPT: &str = r#"
import json, sys
from datetime import datetime, timezone
from standardwebhooks import Webhook
out = {}
for name, op in json.load(sys.stdin).items():
    wh = Webhook(op["secret"])
    if op["op"] == "sign":
        out[name] = wh.sign(op["id"], datetime.fromtimestamp(op["ts"], tz=timezone.utc), op["body"])
    else:
        try:
            wh.verify(op["body"], op["headers"])
            out[name] = "ok"
        except Exception as e:
            out[name] = "refused: %s" % e
json.dump(out, sys.stdout)
"#;

fn python_or_skip(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipped {test}: `python3 -c 'import standardwebhooks'` fails (pip install standardwebhooks)");
    }
    ok
}

/// Runs the named operations in one python3 process.
fn python(ops: Value) -> Value {
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(ops.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed");
    serde_json::from_slice(&out.stdout).expect("python3 prints JSON")
}

fn sign_op(key: &[u8], id: &str, ts: i64, body: &str) -> Value {
    json!({"op": "sign", "secret": secret(key), "id": id, "ts": ts, "body": body})
}

#[tokio::test]
async fn signatures_from_the_python_library_are_judged_as_specified() {
    if !python_or_skip("signatures_from_the_python_library_are_judged_as_specified") {
        return;
    }
    let s = Service::start().await;
    let t = now();
    let body = stock_event("PY-1", 4);
    let tampered = stock_event("PY-1", 40);
    let sigs = python(json!({
        "good": sign_op(KEY_A, "py_good", t, &body),
        "rotated": sign_op(KEY_B, "py_rotated", t, &body),
        "tampered": sign_op(KEY_A, "py_tampered", t, &body),
        "wrong": sign_op(KEY_WRONG, "py_wrong", t, &body),
        "stale": sign_op(KEY_A, "py_stale", t - 302, &body),
        "future": sign_op(KEY_A, "py_future", t + 360, &body),
        "listed": sign_op(KEY_B, "py_listed", t, &body),
        "wrong_in_list": sign_op(KEY_WRONG, "py_listed", t, &body),
        "missing": sign_op(KEY_A, "py_missing", t, &body),
    }));
    let sig = |name: &str| sigs[name].as_str().unwrap().to_owned();
    let post = |id: &str, ts: i64, signature: Option<String>, b: &str, drop: Option<&str>| {
        let mut req = s.client.post(&s.url).header("content-type", "application/json").body(b.to_owned());
        for (name, value) in [("webhook-id", Some(id.to_owned())), ("webhook-timestamp", Some(ts.to_string())), ("webhook-signature", signature)] {
            if let (Some(v), false) = (value, drop == Some(name)) {
                req = req.header(name, v);
            }
        }
        answer(req)
    };

    let (st, v) = post("py_good", t, Some(sig("good")), &body, None).await;
    assert_eq!((st, v["status"].as_str()), (202, Some("accepted")), "{v}");
    let (st, _) = post("py_rotated", t, Some(sig("rotated")), &body, None).await;
    assert_eq!(st, 202, "signed with the second configured secret");
    let one_valid = format!("v1,{} {} v1,bm90LWEtc2lnbmF0dXJl", sig("wrong_in_list").trim_start_matches("v1,"), sig("listed"));
    let (st, _) = post("py_listed", t, Some(one_valid), &body, None).await;
    assert_eq!(st, 202, "a list where only one entry is valid passes");
    let stored = s.counts().await;
    assert_eq!(stored, Counts { inbox: 3, jobs: 3, exceptions: 0 });

    let refused = [
        ("tampered body", post("py_tampered", t, Some(sig("tampered")), &tampered, None).await, "bad_signature"),
        ("wrong secret", post("py_wrong", t, Some(sig("wrong")), &body, None).await, "bad_signature"),
        ("stale", post("py_stale", t - 302, Some(sig("stale")), &body, None).await, "stale_timestamp"),
        ("future", post("py_future", t + 360, Some(sig("future")), &body, None).await, "future_timestamp"),
        ("no id", post("py_missing", t, Some(sig("missing")), &body, Some("webhook-id")).await, "missing_header"),
        ("no timestamp", post("py_missing", t, Some(sig("missing")), &body, Some("webhook-timestamp")).await, "missing_header"),
        ("no signature", post("py_missing", t, Some(sig("missing")), &body, Some("webhook-signature")).await, "missing_header"),
    ];
    for (name, (st, v), want) in refused {
        assert_eq!((st, code(&v)), (401, want), "{name}: {v}");
    }
    assert_eq!(s.counts().await, stored, "refused requests stored nothing");
    s.app.stop().await;
}

#[tokio::test]
async fn our_signatures_and_the_sign_command_pass_the_python_verifier() {
    if !python_or_skip("our_signatures_and_the_sign_command_pass_the_python_verifier") {
        return;
    }
    let t = now();
    let body = stock_event("RS-1", 2);
    let headers = |id: &str, sig: String| json!({"webhook-id": id, "webhook-timestamp": t.to_string(), "webhook-signature": sig});
    let ours = jlbridge::domain::webhook_signature::sign(KEY_A, "rs_1", t, body.as_bytes());
    let tampered = stock_event("RS-1", 3);

    let out = Command::new(env!("CARGO_BIN_EXE_jlbridge"))
        .args(["webhook", "sign", "--type", "stock.changed", "--data", r#"{"items":[{"sku":"CLI-1","salable_qty":5}]}"#, "--id", "cli_1"])
        .args(["--timestamp", &t.to_string(), "--url", "http://127.0.0.1:9/webhooks/magento"])
        .env_clear()
        .env("JLBRIDGE_WEBHOOK_SECRETS", format!("{},{}", secret(KEY_A), secret(KEY_B)))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let curl = String::from_utf8(out.stdout).unwrap();
    let quoted: Vec<&str> = curl.split('\'').skip(1).step_by(2).collect();
    let header = |name: &str| quoted.iter().find_map(|q| q.strip_prefix(&format!("{name}: "))).unwrap().to_owned();
    let cli_body = quoted.last().unwrap().to_string();

    let verdicts = python(json!({
        "ours": {"op": "verify", "secret": secret(KEY_A), "body": body, "headers": headers("rs_1", ours.clone())},
        "ours_tampered": {"op": "verify", "secret": secret(KEY_A), "body": tampered, "headers": headers("rs_1", ours)},
        "cli": {"op": "verify", "secret": secret(KEY_A), "body": cli_body, "headers": {
            "webhook-id": header("webhook-id"), "webhook-timestamp": header("webhook-timestamp"), "webhook-signature": header("webhook-signature")}},
    }));
    assert_eq!(verdicts["ours"], "ok", "{verdicts}");
    assert_eq!(verdicts["cli"], "ok", "{verdicts}");
    assert!(verdicts["ours_tampered"].as_str().unwrap().starts_with("refused"), "{verdicts}");
}

/// The printed command, run by a shell with curl, is accepted by a running service.
#[tokio::test]
async fn the_printed_curl_command_is_accepted() {
    if Command::new("curl").arg("--version").output().is_err() {
        println!("skipped the_printed_curl_command_is_accepted: curl is not installed");
        return;
    }
    let s = Service::start().await;
    let out = Command::new(env!("CARGO_BIN_EXE_jlbridge"))
        .args(["webhook", "sign", "--secret", &secret(KEY_B), "--type", "order.canceled", "--url", &s.url])
        .args(["--data", r#"{"order_increment_id":"000000007","marketplace_order_reference":"JL-O'Brien-7"}"#])
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cmd = String::from_utf8(out.stdout).unwrap();
    let ran = tokio::process::Command::new("sh").args(["-c", &cmd]).output().await.unwrap();
    let reply = String::from_utf8_lossy(&ran.stdout);
    assert!(reply.starts_with("HTTP/1.1 202") && reply.contains("\"accepted\""), "{cmd}\n{reply}");
    assert_eq!(s.counts().await, Counts { inbox: 1, jobs: 1, exceptions: 0 });
    s.app.stop().await;
}
