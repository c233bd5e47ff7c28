//! The Magento module's signer and verifier (PHP) against the Rust receiver and
//! `jlbridge webhook sign`, in both directions.
use crate::support::tool_or_skip;
use crate::webhook_support::{new_id, now, secret, Service, KEY_A, KEY_WRONG};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients/magento2/bin").join(name)
}

/// Runs a module script with `body` on stdin: (exit status success, stdout).
fn php(name: &str, args: &[&str], body: &str) -> (bool, String) {
    let mut child = Command::new("php")
        .arg(script(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run php");
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test]
async fn payloads_signed_by_the_php_module_are_accepted_by_the_receiver() {
    let Some(()) = tool_or_skip("php", "JLBRIDGE_TEST_PHP", "payloads_signed_by_the_php_module_are_accepted_by_the_receiver") else {
        return;
    };
    let svc = Service::start().await;
    let bodies = [
        r#"{"type":"stock.changed","timestamp":"2026-11-27T10:00:00+00:00","data":{"items":[{"sku":"LIN-0001","salable_qty":7}]}}"#,
        r#"{"type":"order.canceled","timestamp":"2026-11-27T10:00:01+00:00","data":{"order_increment_id":"JL-Y100000001","marketplace_order_reference":"Y100000001","reason":"customer"}}"#,
        r#"{"type":"price.changed","timestamp":"2026-11-27T10:00:02+00:00","data":{"items":[{"sku":"LIN-0001","price":"45.00"}]}}"#,
    ];
    for body in bodies {
        let (id, ts) = (new_id(), now());
        let (ok, signature) = php("jlbridge-sign.php", &[&secret(KEY_A), &id, &ts.to_string()], body);
        assert!(ok && signature.starts_with("v1,"), "php signer answered {signature:?}");
        let send = |body: &str| {
            svc.client
                .post(&svc.url)
                .header("content-type", "application/json")
                .header("webhook-id", id.clone())
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", signature.clone())
                .body(body.to_owned())
        };
        let tampered = body.replace("2026-11-27", "2026-11-28");
        let (status, _) = crate::webhook_support::answer(send(&tampered)).await;
        assert_eq!(status, 401, "a tampered body is refused");
        let (status, answer) = crate::webhook_support::answer(send(body)).await;
        assert_eq!(status, 202, "{body} signed by PHP: {answer}");
    }
}

/// The header values of the curl command `jlbridge webhook sign` prints.
fn header(curl: &str, name: &str) -> String {
    let start = curl.find(&format!("'{name}: ")).unwrap_or_else(|| panic!("{name} in {curl}")) + name.len() + 3;
    curl[start..].split('\'').next().unwrap().to_owned()
}

#[test]
fn jlbridge_webhook_sign_output_verifies_with_the_php_verifier() {
    let Some(()) = tool_or_skip("php", "JLBRIDGE_TEST_PHP", "jlbridge_webhook_sign_output_verifies_with_the_php_verifier") else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_jlbridge"))
        .args(["webhook", "sign", "--secret", &secret(KEY_A), "--type", "stock.changed"])
        .args(["--data", r#"{"items":[{"sku":"KNT-0002","salable_qty":3}]}"#])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let curl = String::from_utf8_lossy(&out.stdout).to_string();
    let (id, ts, sig) = (header(&curl, "webhook-id"), header(&curl, "webhook-timestamp"), header(&curl, "webhook-signature"));
    let body = curl.split("--data-binary '").nth(1).unwrap().trim_end().trim_end_matches('\'').to_owned();
    let (ok, said) = php("jlbridge-verify.php", &[&secret(KEY_A), &id, &ts, &sig], &body);
    assert!(ok, "PHP verifier refused jlbridge's signature: {said}");
    let rotated = format!("{},{}", secret(KEY_WRONG), secret(KEY_A));
    assert!(php("jlbridge-verify.php", &[&rotated, &id, &ts, &sig], &body).0, "any configured secret may match");
    let (ok, said) = php("jlbridge-verify.php", &[&secret(KEY_WRONG), &id, &ts, &sig], &body);
    assert!(!ok && said.contains("invalid"), "a wrong secret is refused: {said}");
    let (ok, _) = php("jlbridge-verify.php", &[&secret(KEY_A), &id, &ts, &sig], &body.replace("3", "4"));
    assert!(!ok, "a changed body is refused");
}
