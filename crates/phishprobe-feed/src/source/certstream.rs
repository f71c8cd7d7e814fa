//! certstream messages: the JSON that certstream servers send for each certificate
//! (`certificate_update`, names in `data.leaf_cert.all_domains`) and their domains-only form
//! (`dns_entries`, names in `data`). Heartbeats carry no names.

use serde_json::Value;

/// At most this many names are taken from one message; the rest are reported, not judged.
/// Certificates with thousands of names are CDN and hosting certificates, not look-alikes.
pub const MAX_NAMES_PER_MESSAGE: usize = 1_000;

/// The names in one message.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MessageNames {
    /// The names as sent (not yet canonical), at most [`MAX_NAMES_PER_MESSAGE`].
    pub names: Vec<String>,
    /// How many more the message had.
    pub dropped: usize,
}

/// Names from one certstream message. `Ok` with no names for heartbeats and other message
/// types; `Err` for text that is not a certstream message.
pub fn parse_message(text: &str) -> Result<MessageNames, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("not certstream JSON: {e}"))?;
    let kind = value
        .get("message_type")
        .and_then(Value::as_str)
        .ok_or("no message_type: not a certstream message")?;
    let list = match kind {
        "certificate_update" => value
            .pointer("/data/leaf_cert/all_domains")
            .ok_or("certificate_update without data.leaf_cert.all_domains")?,
        "dns_entries" => value.get("data").ok_or("dns_entries without data")?,
        _ => return Ok(MessageNames::default()),
    };
    let list = list.as_array().ok_or("the names are not a list")?;
    let mut out = MessageNames::default();
    for item in list {
        let Some(name) = item.as_str() else {
            return Err("a name that is not a string".into());
        };
        if out.names.len() < MAX_NAMES_PER_MESSAGE {
            out.names.push(name.to_string());
        } else {
            out.dropped += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_message_forms_give_their_names() {
        let full = r#"{"message_type":"certificate_update","data":{"update_type":"X509LogEntry",
            "leaf_cert":{"all_domains":["amazon-verify.top","*.amazon-verify.top"]},"cert_index":7}}"#;
        assert_eq!(
            parse_message(full).unwrap().names,
            ["amazon-verify.top", "*.amazon-verify.top"]
        );
        let short = r#"{"message_type":"dns_entries","data":["a.example","b.example"]}"#;
        assert_eq!(
            parse_message(short).unwrap().names,
            ["a.example", "b.example"]
        );
        let beat = r#"{"message_type":"heartbeat","timestamp":1}"#;
        assert_eq!(parse_message(beat).unwrap(), MessageNames::default());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "[1,2]",
            r#"{"message_type":"certificate_update","data":{}}"#,
            r#"{"message_type":"dns_entries","data":[1]}"#,
            r#"{"message_type":"dns_entries","data":"x"}"#,
        ] {
            assert!(parse_message(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn huge_name_lists_are_capped_and_counted() {
        let names: Vec<String> = (0..10_000).map(|i| format!("\"n{i}.example\"")).collect();
        let msg = format!(
            r#"{{"message_type":"dns_entries","data":[{}]}}"#,
            names.join(",")
        );
        let got = parse_message(&msg).unwrap();
        assert_eq!(got.names.len(), MAX_NAMES_PER_MESSAGE);
        assert_eq!(got.dropped, 10_000 - MAX_NAMES_PER_MESSAGE);
    }
}
