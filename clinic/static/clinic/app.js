// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Dates in the user's locale (the markup keeps ISO dates as the fallback and for machines).
  const format = new Intl.DateTimeFormat(navigator.language, { year: "numeric", month: "short", day: "numeric" });
  document.querySelectorAll("time[datetime]").forEach((el) => {
    const value = el.getAttribute("datetime");
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const [y, m, d] = value.split("-").map(Number);
      el.textContent = format.format(new Date(y, m - 1, d));
    }
  });
  // mRSS: the total follows the 17 site scores as they are typed.
  const sites = Array.from(document.querySelectorAll("input.mrss-site"));
  const live = document.getElementById("mrss-live");
  if (sites.length && live) {
    const update = () => {
      const values = sites.map((el) => el.value.trim()).filter((v) => v !== "");
      const total = values.reduce((sum, v) => sum + (Number(v) || 0), 0);
      live.textContent = values.length === 0 ? "—" : values.length === sites.length
        ? `${total} / 51` : `${total} so far (${values.length} of 17 sites)`;
    };
    sites.forEach((el) => el.addEventListener("input", update));
    update();
  }
})();
