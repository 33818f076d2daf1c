// Progressive enhancement only: every form works without this file.
// A select marked data-autosubmit submits its form when changed (the time zone).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit();
  }
});
// A button marked data-copy="<id>" copies that element's text (a secret shown once).
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
  if (!button) return;
  const source = document.getElementById(button.getAttribute("data-copy") ?? "");
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent ?? "").then(
    () => {
      button.textContent = "Copied";
    },
    () => {
      button.textContent = "Select and copy it";
    },
  );
});
// The plan editor: only the chosen qualification's fields are shown (all are, without script).
function showQualificationFields() {
  const kind = document.getElementById("plan-cpa_kind");
  if (!(kind instanceof HTMLSelectElement)) return;
  for (const block of document.querySelectorAll("[data-kinds]")) {
    block.hidden = !(block.getAttribute("data-kinds") ?? "").split(" ").includes(kind.value);
  }
}
document.addEventListener("change", (event) => {
  if (event.target instanceof HTMLSelectElement && event.target.id === "plan-cpa_kind")
    showQualificationFields();
});
document.addEventListener("DOMContentLoaded", showQualificationFields);
