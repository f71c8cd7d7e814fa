//! What the hosting says on its own, with or without a brand: a generic ending followed by a
//! hyphen that hides the registered name (`ezdrive.com-4bs9.xin`), and a free hosting service
//! where anyone can publish a page.

use super::popular_findings::PopularOnce;
use super::surroundings::Surroundings;
use super::{Analysis, msg};
use crate::model::{Finding, ReportBuilder, Severity};

/// What the hosting says on its own: a fake ending hiding the registered name, a free host.
pub(super) fn hosting_findings(
    b: &mut ReportBuilder,
    info: &Analysis,
    scan: &Surroundings<'_>,
    popular: &PopularOnce<'_>,
) {
    if let Some((shown, reg_label)) = fake_ending(&scan.ascii_labels, scan.registrable_index)
        && !popular.registered_is_popular()
    {
        // `ezdrive.com-4bs9.xin` reads as `ezdrive.com`: whatever the name, only an impostor
        // hides the real ending behind a hyphen (no brand profile needed).
        let sev = if scan.abused_tld || scan.free.is_some() {
            Severity::High
        } else {
            Severity::Medium
        };
        let reg_name = info.registrable_private().unwrap_or(&info.ascii);
        b.push(Finding::new(
            "host.fake_ending",
            sev,
            msg(
                format!("The address is made to read as {shown}, but the hyphen after it hides the real name, {reg_name}."),
                format!("该地址被做成看似 {shown}，但其后的连字符掩盖了真实名称 {reg_name}。"),
            ),
            format!("label \"{reg_label}\" starts with a fake ending; registered name is {reg_name}"),
        ));
    }
    if let Some(f) = &scan.free {
        // The provider's own name (`github.io`) is not a customer site.
        if info.ascii != f.suffix {
            // Alone it is a note (most sites there are harmless); beside a brand or credential
            // words it is what fake sign-in pages look like.
            let sev = if info.brand.is_some() || !scan.credential_words.is_empty() {
                Severity::Medium
            } else {
                Severity::Low
            };
            b.push(Finding::new(
                "host.free_hosting",
                sev,
                msg(
                    format!("The site is on {}, a free hosting service where anyone can publish a page in minutes; no brand runs its sign-in pages there.", f.suffix),
                    format!("该网站位于 {}，这是任何人几分钟内即可发布页面的免费托管服务；没有品牌会把登录页放在那里。", f.suffix),
                ),
                f.suffix.clone(),
            ));
        }
    }
}

/// Generic endings an impostor writes after a name and then continues with a hyphen.
const FAKE_ENDINGS: [&str; 9] = [
    "com", "net", "org", "gov", "edu", "mil", "co", "info", "biz",
];

/// A registered label that starts with a generic ending and a hyphen, after another label:
/// `ezdrive.com-4bs9.xin`, `txdmv.gov-rb.xin`. Returns what it reads as (`ezdrive.com`) and
/// the registered label.
fn fake_ending<'a>(
    labels: &[&'a str],
    registrable_index: Option<usize>,
) -> Option<(String, &'a str)> {
    let r = registrable_index?;
    let prev = labels.get(r.checked_sub(1)?)?;
    let label = labels.get(r)?;
    let (head, tail) = label.split_once('-')?;
    if prev.is_empty() || tail.trim_matches('-').is_empty() || !FAKE_ENDINGS.contains(&head) {
        return None;
    }
    Some((format!("{prev}.{head}"), label))
}
