//! Live authentication (`--verify-auth`, feature `verify-auth`): placeholder until wired.

use crate::EmailReport;

/// Verify DKIM, SPF and DMARC live and add the results to the report's notes.
pub fn verify_live(rep: &mut EmailReport, _raw: &[u8]) {
    rep.details.notes.push(
        "--verify-auth: this build has no live verification (feature verify-auth is off)".into(),
    );
}
