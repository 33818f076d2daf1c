// Progressive enhancement only: every form works without this file.
// A select marked data-autosubmit submits its form when changed (the time zone).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit();
  }
});
