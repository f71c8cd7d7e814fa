// The full-tab warning: a reused password, or a page that removed or covered the banner.
const { t, msg } = phishprobeI18n;

(async () => {
const $ = (id) => document.getElementById(id);
const list = (id, items) =>
  $(id).replaceChildren(
    ...items.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );

const w = await chrome.runtime.sendMessage({ type: "warning", id: location.hash.slice(1) });
if (w) {
  const v = w.verdict;
  const brand = msg(v.brand_name) || w.brand || "";
  document.body.dataset.kind = w.kind;
  if (w.kind === "reuse") {
    $("title").textContent = t("reuseTitle", { brand, host: w.host });
    $("todo").textContent = t("reuseDo", { brand, at: v.change_password_at ?? "" });
  } else {
    $("title").textContent = t("coveredTitle");
    $("todo").textContent = brand ? t("bannerClaims", { brand, host: w.host }) : w.host;
  }
  list(
    "reasons",
    v.report.findings.filter((f) => f.severity !== "info").map((f) => msg(f.message)),
  );
  list("advice", (v.advice ?? []).map((a) => msg(a.message)));
}
})();
