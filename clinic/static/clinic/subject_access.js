// The subject access report's Print button (no inline script: Content-Security-Policy).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-report");
  if (button) button.addEventListener("click", () => window.print());
});
