//! What a number means for the person: its type in plain words, the brands that publish it,
//! the user's own mark, and the caller-ID warning every report carries.

use super::parse::analyze;
use super::{PhoneClass, PhoneInfo, UserMark};
use crate::knowledge::Knowledge;
use crate::model::{Finding, Message, Severity};

/// Plain words for a type name, English and Chinese.
pub(super) fn type_words(name: &str) -> (&'static str, &'static str) {
    match name {
        "fixed_line" => ("landline", "固定电话"),
        "mobile" => ("mobile", "手机"),
        "fixed_line_or_mobile" => ("landline or mobile", "固定电话或手机"),
        "toll_free" => ("toll-free", "免费电话"),
        "premium_rate" => (
            "premium-rate (calling it costs you money)",
            "付费声讯号码（拨打会扣费）",
        ),
        "shared_cost" => ("shared-cost", "分摊费用号码"),
        "personal_number" => ("personal (forwarding) number", "个人转接号码"),
        "voip" => (
            "internet (VoIP) number, easy for anyone to get",
            "网络电话（VoIP），任何人都能轻易申请",
        ),
        "pager" => ("pager", "寻呼机"),
        "uan" => ("company number", "企业统一号码"),
        "voicemail" => ("voicemail access", "语音信箱"),
        _ => ("unknown type", "类型未知"),
    }
}

pub(super) fn caller_id_finding() -> Finding {
    Finding::new(
        "phone.caller_id_proves_nothing",
        Severity::Info,
        Message::new(
            "A phone number proves nothing either way: caller ID is easy to fake (scammers show real company numbers), and genuine callbacks often come from random numbers that phones label as spam. Don't trust or distrust a call by its number. Hang up, then reach the company yourself through the number or message centre inside its own app or Seller Central, typed in by hand. Never give a password, code or remote access to anyone who called you.",
            "电话号码不能证明任何事：来电显示很容易伪造（骗子会显示真实公司的号码），而真正的回电也常来自被手机标记为骚扰的随机号码。不要凭号码相信或怀疑一个电话。请挂断，然后自己通过该公司官方应用或卖家平台（Seller Central）里的电话或消息中心联系，号码请手动输入。不要把密码、验证码或远程控制权交给任何打来电话的人。",
        ),
        "",
    )
}

/// The profiles' published phone numbers parsed once per knowledge: (brand index, number
/// index, E.164).
pub(super) struct PublishedPhones(Vec<(usize, usize, String)>);

/// The brand profiles' published numbers that equal this E.164 number: (brand id, label).
///
/// The profiles' numbers are parsed once per knowledge (parsing is the slow part of a text check
/// that mentions a number), then compared as strings.
pub fn published_matches<'a>(knowledge: &'a Knowledge, e164: &str) -> Vec<(&'a str, &'a str)> {
    let PublishedPhones(parsed) = knowledge.derived(|k| {
        let mut v = Vec::new();
        for (bi, b) in k.brands().iter().enumerate() {
            for (pi, p) in b.phone.iter().enumerate() {
                if let Some(e) = analyze(&p.number, Some("US")).e164 {
                    v.push((bi, pi, e));
                }
            }
        }
        PublishedPhones(v)
    });
    let mut out = Vec::new();
    for (bi, pi, e) in parsed {
        if e == e164
            && let Some(b) = knowledge.brand(*bi)
            && let Some(p) = b.phone.get(*pi)
        {
            out.push((b.id.as_str(), p.label.as_str()));
        }
    }
    out
}

/// Findings about one number (without the caller-ID explanation, which a report adds once).
pub fn findings(
    knowledge: &Knowledge,
    info: &PhoneInfo,
    mark: Option<UserMark>,
) -> (Vec<Finding>, Option<String>) {
    let mut f = Vec::new();
    let mut brand = None;
    let ev = if let Some(e) = &info.e164 {
        e.clone()
    } else {
        info.input.clone()
    };
    match info.class {
        PhoneClass::ShortCode => f.push(Finding::new(
            "phone.short_code",
            Severity::Info,
            Message::new(
                "This is a short code (3-6 digits), used for bulk or service text messages. Short codes can't be checked; judge the message by what it asks you to do.",
                "这是短号码（3到6位），用于群发或服务短信。短号码无法核查；请根据短信要求您做什么来判断。",
            ),
            ev.clone(),
        )),
        PhoneClass::NotANumber => f.push(Finding::new(
            "phone.not_a_number",
            Severity::Info,
            Message::new(
                "This is not a valid phone number (wrong number of digits or characters that don't belong in a number).",
                "这不是有效的电话号码（位数不对或含有不属于号码的字符）。",
            ),
            ev.clone(),
        )),
        PhoneClass::Invalid => f.push(Finding::new(
            "phone.invalid",
            Severity::Info,
            Message::new(
                "This number can't exist in the numbering plan it seems to belong to; a call showing it had a faked caller ID.",
                "该号码在其所属的编号规则中不存在；显示此号码的来电使用了伪造的来电显示。",
            ),
            ev.clone(),
        )),
        PhoneClass::Valid => {
            let t = info.number_type.unwrap_or("unknown");
            let (en, zh) = type_words(t);
            let country = info.country.as_deref().unwrap_or("?");
            f.push(Finding::new(
                "phone.parsed",
                Severity::Info,
                Message::new(
                    format!("Number {ev}: country {country}, {en}."),
                    format!("号码 {ev}：国家/地区 {country}，{zh}。"),
                ),
                format!("{ev} {country} {t}"),
            ));
            if t == "premium_rate" {
                f.push(Finding::new(
                    "phone.premium_rate",
                    Severity::Medium,
                    Message::new(
                        "This is a premium-rate number: calling or texting it costs you money. \"Call now to claim your prize\" messages use them.",
                        "这是付费声讯号码：拨打或发短信会扣费。“立即致电领奖”之类的骗局常用这种号码。",
                    ),
                    ev.clone(),
                ));
            }
            for (id, label) in published_matches(knowledge, &ev) {
                brand.get_or_insert_with(|| id.to_string());
                f.push(Finding::new(
                    "phone.brand_published",
                    Severity::Info,
                    Message::new(
                        format!("This is a number the brand publishes ({label}). It is a number you can call OUT to; a call or text that shows it proves nothing, because caller ID can be faked."),
                        format!("这是该品牌公布的号码（{label}）。它只是您可以主动拨出的号码；显示该号码的来电或短信不能证明任何事，因为来电显示可以伪造。"),
                    ),
                    ev.clone(),
                ));
            }
        }
    }
    match mark {
        Some(UserMark::Scam) => f.push(Finding::new(
            "phone.user_marked_scam",
            Severity::Medium,
            Message::new(
                "You marked this number as scam in your local list.",
                "您已在本地号码列表中把该号码标记为诈骗。",
            ),
            ev.clone(),
        )),
        Some(UserMark::Trusted) => f.push(Finding::new(
            "phone.user_marked_trusted",
            Severity::Info,
            Message::new(
                "You marked this number as trusted, but caller ID can be spoofed: a call showing it may still be someone else. Trust it only when you dialled it yourself.",
                "您已把该号码标记为可信，但来电显示可以伪造：显示此号码的来电仍可能是别人。只有您自己拨出时才可信。",
            ),
            ev.clone(),
        )),
        None => {}
    }
    (f, brand)
}
