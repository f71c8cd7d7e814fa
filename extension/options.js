// Options: enrol the passwords to protect (kept only as a salted 37-bit hash and the length),
// the opt-in capture on genuine sign-in pages, and the "my own site" allow list.
const { t } = phishprobeI18n;

(async () => {
const $ = (id) => document.getElementById(id);
const ask = (m) => chrome.runtime.sendMessage(m);

async function show() {
  const s = await chrome.storage.local.get(null);
  const enrolled = Array.isArray(s.enrolled) ? s.enrolled : [];
  $("enrolled-title").textContent = t("optionsEnrolled");
  $("enrolled").replaceChildren(
    ...(enrolled.length ? enrolled : [null]).map((e) => {
      const li = document.createElement("li");
      if (!e) {
        li.textContent = t("optionsNone");
        return li;
      }
      li.textContent = `${e.brand} · ${e.enrolled_on} · ${e.added} `;
      const remove = document.createElement("button");
      remove.textContent = t("optionsRemove");
      remove.onclick = async () => {
        await ask({ type: "unenroll", salt: e.salt });
        show();
      };
      li.append(remove);
      return li;
    }),
  );
  $("capture").checked = s.capture === true;
  $("allowed").replaceChildren(
    ...(s.allowed ?? []).map((origin) => {
      const li = document.createElement("li");
      li.textContent = `${origin} `;
      const remove = document.createElement("button");
      remove.textContent = t("optionsRemove");
      remove.onclick = async () => {
        await ask({ type: "disallow", url: origin });
        show();
      };
      li.append(remove);
      return li;
    }),
  );
}

const brands = await ask({ type: "brands" });
$("brand").replaceChildren(
  ...(Array.isArray(brands) ? brands : []).map((b) => {
    const o = document.createElement("option");
    o.value = b.id;
    o.textContent = `${b.name} / ${b.name_zh}`;
    o.dataset.home = b.home ?? "";
    return o;
  }),
);
$("brand").onchange = () => {
  $("site").placeholder = $("brand").selectedOptions[0]?.dataset.home ?? "";
};
$("brand").onchange();
$("enroll").onsubmit = async (event) => {
  event.preventDefault();
  const answer = await ask({
    type: "enroll",
    brand: $("brand").value,
    password: $("password").value,
    enrolledOn: $("site").value || $("site").placeholder,
  });
  $("password").value = "";
  $("status").textContent = answer?.ok ? t("optionsAdded") : String(answer?.error ?? "");
  show();
};
$("capture").onchange = () => ask({ type: "settings", capture: $("capture").checked });
show();
})();
