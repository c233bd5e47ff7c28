//! The Magento 2 module's own checks (php -l, PHPUnit), run from the one test command.
//! They need php-cli and phpunit (Debian packages installed by `.ci/run`).
use crate::support::tool_or_skip;
use std::path::PathBuf;
use std::process::Command;

fn module_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients/magento2")
}

#[test]
fn every_php_file_lints() {
    let Some(()) = tool_or_skip("php", "JLBRIDGE_TEST_PHP", "every_php_file_lints") else { return };
    let out = Command::new("bash").arg(module_dir().join("Test/lint.sh")).output().unwrap();
    assert!(
        out.status.success(),
        "php lint failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn phpunit_suite_passes() {
    let Some(()) = tool_or_skip("phpunit", "JLBRIDGE_TEST_PHP", "phpunit_suite_passes") else { return };
    let out = Command::new("phpunit")
        .arg("-c")
        .arg(module_dir().join("phpunit.xml.dist"))
        .arg("--do-not-cache-result")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "phpunit failed:\n{text}");
    assert!(text.contains("OK ("), "phpunit ran tests:\n{text}");
}
