#![no_main]
// The body is sanctions_fuzz::http_body (crates/fuzz), replayed on stable by its tests.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sanctions_fuzz::http_body(data));
