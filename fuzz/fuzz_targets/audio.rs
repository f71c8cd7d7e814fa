#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| phishprobe_fuzz::audio(data));
