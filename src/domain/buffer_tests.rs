use super::*;
use chrono::TimeZone;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}
fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
}

fn rules() -> BufferRules {
    BufferRules {
        safety: Some(2),
        percent: Some(d("10")),
        maximum: Some(100),
        floor: Some(1),
        overrides: vec![
            SkuOverride { pattern: Some("TEE-*".into()), safety: Some(0), ..Default::default() },
            SkuOverride { sku: Some("TEE-GOLD".into()), maximum: Some(3), floor: Some(0), ..Default::default() },
            SkuOverride { sku: Some("BIG".into()), percent: Some(d("0")), maximum: Some(1000), ..Default::default() },
        ],
        peaks: vec![PeakRule {
            name: "black-friday".into(),
            from: Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap(),
            until: Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap(),
            skus: vec![],
            safety: Some(5),
            percent: None,
            maximum: None,
            floor: None,
        }],
    }
}

#[test]
fn computes_each_case() {
    let r = rules();
    // (sku, salable, day, expected output, expected layers)
    let cases: &[(&str, &str, u32, u32, &[&str])] = &[
        ("MUG", "50", 10, 43, &["default"]),              // 50 - ceil(5) = 45 - 2 = 43
        ("MUG", "-3", 10, 0, &["default"]),               // clamped
        ("MUG", "3", 10, 0, &["default"]),                // 3 - 1 = 2 - 2 = 0
        ("MUG", "4", 10, 0, &["default"]),                // 4 - 1 = 3 - 2 = 1 ≤ floor 1 → 0
        ("MUG", "5", 10, 2, &["default"]),                // 5 - 1 = 4 - 2 = 2
        ("MUG", "5.9", 10, 2, &["default"]),              // whole units first
        ("MUG", "1000", 10, 100, &["default"]),           // capped
        ("TEE-RED", "10", 10, 9, &["default", "pattern TEE-*"]), // safety 0
        ("TEE-GOLD", "10", 10, 3, &["default", "pattern TEE-*", "sku TEE-GOLD"]),
        ("TEE-GOLD", "1", 10, 0, &["default", "pattern TEE-*", "sku TEE-GOLD"]), // 1 - 1 = 0
        ("tee-red", "10", 10, 7, &["default"]),           // patterns are case-sensitive
        ("BIG", "500", 10, 498, &["default", "sku BIG"]),
        ("MUG", "50", 25, 40, &["default", "peak black-friday"]), // 45 - 5
        ("TEE-RED", "10", 25, 4, &["default", "pattern TEE-*", "peak black-friday"]), // peak beats override
        ("MUG", "50", 30, 43, &["default"]),              // peak has ended (until is exclusive)
    ];
    for (sku, salable, day, want, layers) in cases {
        let e = r.compute(sku, d(salable), at(*day));
        assert_eq!(e.output, *want, "{sku} {salable} day {day}: {e:?}");
        assert_eq!(e.layers, *layers, "{sku} {salable} day {day}");
    }
}

#[test]
fn explains_every_step() {
    let e = rules().compute("MUG", d("4"), at(10));
    assert_eq!(e.input, "4");
    let steps: Vec<(&str, i64, i64)> = e.steps.iter().map(|s| (s.rule.as_str(), s.before, s.after)).collect();
    assert_eq!(
        steps,
        [("percentage 10% (default)", 4, 3), ("safety 2 (default)", 3, 1), ("floor 1 (default)", 1, 0)]
    );
    let e = rules().compute("TEE-RED", d("10"), at(25));
    assert_eq!(e.steps[1].rule, "safety 5 (peak black-friday)");
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["output"], 4);
}

#[test]
fn no_rules_pass_through_clamped() {
    let r = BufferRules::default();
    assert_eq!(r.compute("X", d("7"), at(1)).output, 7);
    assert_eq!(r.compute("X", d("-7"), at(1)).output, 0);
    assert!(r.compute("X", d("7"), at(1)).steps.is_empty());
    assert!(r.validate().is_empty());
}

#[test]
fn deterministic() {
    let r = rules();
    for q in 0..200 {
        let a = r.compute("TEE-1", Decimal::from(q), at(25));
        assert_eq!(a, r.compute("TEE-1", Decimal::from(q), at(25)));
        assert!(a.output as i64 <= q.max(0));
    }
}

#[test]
fn validation_names_the_rule() {
    let bad = BufferRules {
        percent: Some(d("100")),
        floor: Some(5),
        maximum: Some(5),
        overrides: vec![
            SkuOverride { sku: Some("A".into()), pattern: Some("A*".into()), safety: Some(1), ..Default::default() },
            SkuOverride { pattern: Some("PLAIN".into()), safety: Some(1), ..Default::default() },
            SkuOverride { sku: Some("B".into()), ..Default::default() },
            SkuOverride { sku: Some("C".into()), safety: Some(1), ..Default::default() },
            SkuOverride { sku: Some("C".into()), safety: Some(2), ..Default::default() },
            SkuOverride { safety: Some(2), ..Default::default() },
        ],
        peaks: vec![PeakRule {
            name: "bf".into(),
            from: at(30),
            until: at(23),
            skus: vec![],
            safety: None,
            percent: None,
            maximum: Some(0),
            floor: None,
        }],
        ..Default::default()
    };
    let errs: Vec<String> = bad.validate().iter().map(|e| e.to_string()).collect();
    let expect = [
        "stock.buffer: percent 100 must be at least 0 and below 100",
        "stock.buffer: floor 5 is not below maximum 5",
        "stock.buffer.overrides[0] (sku \"A\"): sets both sku and pattern",
        "stock.buffer.overrides[1] (pattern \"PLAIN\"): pattern \"PLAIN\" has no * or ?",
        "stock.buffer.overrides[2] (sku \"B\"): changes nothing",
        "stock.buffer.overrides[4] (sku \"C\"): repeats an earlier override",
        "stock.buffer.overrides[5]: needs sku (one product) or pattern",
        "stock.buffer.peaks[0] (\"bf\"): from 2026-11-30T12:00:00+00:00 is not before until",
        "stock.buffer.peaks[0] (\"bf\"): maximum 0 would always show 0",
    ];
    for want in expect {
        assert!(errs.iter().any(|e| e.starts_with(want)), "missing {want:?} in {errs:#?}");
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
    assert!(rules().validate().is_empty(), "{:?}", rules().validate());
}
