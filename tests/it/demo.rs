//! `jlbridge demo --exit` as CI runs it: the day plays to the end and its summary reports zero
//! lost events and zero duplicate orders (the command fails otherwise).
use std::process::Command;

#[test]
fn the_demo_plays_a_short_day_with_nothing_lost_and_nothing_duplicated() {
    let out = Command::new(env!("CARGO_BIN_EXE_jlbridge"))
        .args(["demo", "--exit", "--duration", "25", "--skus", "60"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run jlbridge demo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "demo failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("duplicate orders    0"), "{text}");
    assert!(text.contains("lost events 0"), "{text}");
    let placed = text
        .lines()
        .find(|l| l.contains("John Lewis orders"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    assert!(placed > 3, "John Lewis placed orders during the day:\n{text}");
    assert!(text.contains("injected into Magento") && text.contains("carrier_unmapped"), "planted problems show:\n{text}");
}
