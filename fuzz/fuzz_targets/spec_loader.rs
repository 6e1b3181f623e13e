//! Fuzzes the spec loader: any text, as YAML and as JSON, must give a spec or a `SpecError`,
//! never a panic, a hang or unbounded memory. A loaded spec must also survive the wire and
//! YAML round trips.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use skein::spec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = Path::new("/fuzz");
    for result in [
        spec::from_yaml_str(text, "fuzz.yaml", base),
        spec::from_json_str(text, "fuzz.json", base),
    ] {
        match result {
            Ok(s) => {
                let wire = skein::proto::ApplicationSpec::from(&s);
                let back = spec::ApplicationSpec::try_from(wire).expect("wire round trip");
                assert_eq!(back, s);
                let yaml = s.to_yaml();
                let again = spec::from_yaml_str(&yaml, "out.yaml", base).expect("yaml round trip");
                assert_eq!(again, s);
            }
            Err(e) => {
                assert!(!e.diagnostics.is_empty());
                let _ = e.to_string();
            }
        }
    }
});
