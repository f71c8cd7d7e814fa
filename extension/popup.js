// The toolbar popup: the active tab's verdict and its reasons, and the "my own site" switch.
const { t, msg } = phishprobeI18n;

const $ = (id) => document.getElementById(id);

async function show() {
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  if (!tab) return;
  const { state, allowed } = await chrome.runtime.sendMessage({ type: "tab", tabId: tab.id, url: tab.url });
  const report = state?.answer?.report;
  if (!report) {
    $("verdict").textContent = t("popupNoPage");
  } else {
    const brand = msg(state.answer.brand_name);
    $("verdict").textContent = `${t(`verdict_${report.verdict}`)}${brand ? ` · ${brand}` : ""}`;
    $("verdict").className = `verdict-${report.verdict}`;
    $("input").textContent = report.input;
    $("reasons").replaceChildren(
      ...report.findings.map((f) => {
        const li = document.createElement("li");
        li.textContent = msg(f.message);
        const ev = document.createElement("div");
        ev.className = "evidence";
        ev.textContent = `${f.code}: ${f.evidence}`;
        li.append(ev);
        return li;
      }),
    );
  }
  $("allowed").textContent = allowed ? t("popupAllowed") : "";
  const button = $("allow");
  button.hidden = !/^https?:/.test(tab.url ?? "");
  button.textContent = allowed ? t("popupDisallow") : t("popupAllow");
  button.onclick = async () => {
    await chrome.runtime.sendMessage({ type: allowed ? "disallow" : "allow", url: tab.url });
    show();
  };
}

show();
