// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Dates arrive written in the user's locale by the server (registry.formatting): one style
  // for the tables, the chart and partial dates alike. A "Print" button prints the page.
  document.querySelectorAll("button[data-print]").forEach((el) => {
    el.addEventListener("click", () => window.print());
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
