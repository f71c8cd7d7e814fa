// The extension's own words in English and Chinese, chosen by the browser's language. The
// verdicts' words (findings, advice) come from the core in both languages.
//
// Classic scripts throughout the extension (the worker loads them with importScripts, the
// pages with <script>): one way of loading for every part, no module graph to start.

(() => {
const lang = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";

const WORDS = {
  en: {
    bannerTitle: "Stop: this is not {brand}'s sign-in page",
    bannerTitleNoBrand: "Stop: do not type your password here",
    bannerClaims: "This page presents itself as {brand}, but it is at {host}.",
    bannerDo: "Do not enter your password. Close this page and reach {brand} by typing its address yourself.",
    bannerDismiss: "I understand",
    reuseTitle: "You typed your {brand} password on {host}",
    reuseDo: "Change your {brand} password now at {at} (type the address yourself), and on any other site where you use it.",
    coveredTitle: "This page hid phishprobe's warning",
    verdict_genuine: "genuine",
    verdict_suspicious: "suspicious",
    verdict_phishing: "phishing",
    verdict_unknown: "unknown",
    popupNoPage: "No verdict for this page yet.",
    popupAllow: "This is my own site: never warn here",
    popupDisallow: "Warn on this site again",
    popupAllowed: "You marked this site as your own: phishprobe does not warn here.",
    optionsEnrolled: "Protected passwords",
    optionsNone: "None yet.",
    optionsRemove: "Remove",
    optionsAdded: "Protected. Only a short salted hash and the length are kept.",
  },
  zh: {
    bannerTitle: "停止：这不是{brand}的登录页面",
    bannerTitleNoBrand: "停止：不要在这里输入密码",
    bannerClaims: "该页面自称是{brand}，但它的网址是 {host}。",
    bannerDo: "不要输入密码。关闭此页面，自己输入网址访问{brand}。",
    bannerDismiss: "我知道了",
    reuseTitle: "您在 {host} 上输入了{brand}的密码",
    reuseDo: "请立即在 {at}（自己输入网址）修改{brand}密码，并修改其他使用同一密码的网站。",
    coveredTitle: "该页面隐藏了 phishprobe 的警告",
    verdict_genuine: "真实",
    verdict_suspicious: "可疑",
    verdict_phishing: "钓鱼",
    verdict_unknown: "未知",
    popupNoPage: "此页面还没有结论。",
    popupAllow: "这是我自己的网站：不要在这里警告",
    popupDisallow: "重新在此网站上警告",
    popupAllowed: "您已将此网站标为自己的网站：phishprobe 不会在这里警告。",
    optionsEnrolled: "受保护的密码",
    optionsNone: "还没有。",
    optionsRemove: "删除",
    optionsAdded: "已保护。只保存简短的加盐哈希和长度。",
  },
};

/** A word of the extension in the browser's language, `{name}` placeholders filled. */
function t(key, vars = {}) {
  const text = WORDS[lang][key] ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

/** A `{en, zh}` message from the core in the browser's language. */
function msg(m) {
  return m ? (m[lang] ?? m.en ?? "") : "";
}

self.phishprobeI18n = { lang, t, msg };
})();
