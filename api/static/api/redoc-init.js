// Starts Redoc on /api/redoc/ (templates/api/redoc.html) under the registry's strict CSP.
// Loaded before redoc.standalone.js, because the bundle works around the policy at load time:
// - it injects <style> elements (styled-components, perfect-scrollbar) before Redoc.init could
//   hand it a nonce, so every <style> created on this page gets this script's nonce;
// - its sidebar footer hard-codes a logo at cdn.redoc.ly (no option turns it off): an empty
//   image takes its place, so the page loads nothing from another host.
// Search is off: Redoc runs it in a worker built from a blob: URL, which the policy refuses.
"use strict";
(function () {
  const nonce = document.currentScript.nonce;
  const externalLogo = "https://cdn.redoc.ly/";
  const emptyImage = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
  const createElement = Document.prototype.createElement;
  const imageSrc = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  const localSrc = {
    configurable: true,
    get() {
      return imageSrc.get.call(this);
    },
    set(value) {
      imageSrc.set.call(this, String(value).startsWith(externalLogo) ? emptyImage : value);
    },
  };

  document.createElement = function (tagName, options) {
    const element = createElement.call(this, tagName, options);
    const tag = String(tagName).toLowerCase();
    if (tag === "style") {
      element.nonce = nonce;
    } else if (tag === "img") {
      Object.defineProperty(element, "src", localSrc); // React sets img.src as a property
    }
    return element;
  };

  document.addEventListener("DOMContentLoaded", function () {
    const container = document.getElementById("redoc-container");
    const fonts = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
    Redoc.init(
      container.dataset.schemaUrl,
      {
        disableSearch: true,
        theme: {
          typography: { fontFamily: fonts, headings: { fontFamily: fonts } },
          // Redoc's default greens, reds and greys fall just under 4.5:1 on their own tinted
          // backgrounds (WCAG 1.4.3, found by tests/integration/test_accessibility.py).
          colors: {
            success: { main: "#17692a" },
            error: { main: "#b0201c" },
            text: { secondary: "#595959" },
          },
        },
      },
      container,
    );
  });
})();
