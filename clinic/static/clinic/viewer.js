// Radiograph viewer: zoom and pan, click two points to measure a lesion, pick its site on a
// drawn hand, and save it through the REST API (session + CSRF). Coordinates are kept in the
// original image's pixels (the overlay's viewBox), whatever the zoom.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("viewer-config").textContent);
  const stage = document.getElementById("stage");
  const canvas = document.getElementById("canvas");
  const overlay = document.getElementById("overlay");
  const form = document.getElementById("lesion-form");
  const SVG = "http://www.w3.org/2000/svg";
  const state = { scale: 1, x: 0, y: 0, mode: null, points: { longest: [], perpendicular: [] } };

  function mm(a, b) {
    const [row, column] = config.spacing;
    return Math.hypot((b[0] - a[0]) * column, (b[1] - a[1]) * row);
  }
  function label(value) {
    return value.toFixed(1) + " mm" + (config.approximate ? " (approximate)" : "");
  }
  function line(points, cls) {
    const el = document.createElementNS(SVG, "line");
    el.setAttribute("x1", points[0][0]); el.setAttribute("y1", points[0][1]);
    el.setAttribute("x2", points[1][0]); el.setAttribute("y2", points[1][1]);
    el.setAttribute("class", cls);
    el.setAttribute("vector-effect", "non-scaling-stroke");
    overlay.appendChild(el);
    return el;
  }
  function dot(point, cls) {
    const el = document.createElementNS(SVG, "circle");
    el.setAttribute("cx", point[0]); el.setAttribute("cy", point[1]);
    el.setAttribute("r", Math.max(config.columns || 0, config.rows || 0) / 250 || 4);
    el.setAttribute("class", cls);
    overlay.appendChild(el);
  }
  function toImage(event) {
    const point = overlay.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    const p = point.matrixTransform(overlay.getScreenCTM().inverse());
    return [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10];
  }
  function apply() {
    canvas.style.transform = `translate(${state.x}px, ${state.y}px) scale(${state.scale})`;
  }
  function zoom(factor) {
    state.scale = Math.min(12, Math.max(0.5, state.scale * factor));
    apply();
  }
  function redraw() {
    overlay.querySelectorAll(".draft").forEach((el) => el.remove());
    for (const kind of ["longest", "perpendicular"]) {
      const pts = state.points[kind];
      pts.forEach((p) => dot(p, "draft " + kind));
      if (pts.length === 2) line(pts, "draft " + kind);
      const out = document.getElementById("f-" + kind);
      out.textContent = pts.length === 2 ? label(mm(pts[0], pts[1])) : "—";
    }
    document.getElementById("save-lesion").disabled = state.points.longest.length !== 2;
    document.getElementById("measure-perpendicular").disabled = state.points.longest.length !== 2;
  }
  function setMode(mode) {
    state.mode = mode;
    document.getElementById("measure").setAttribute("aria-pressed", String(mode === "longest"));
    document.getElementById("measure-perpendicular").setAttribute("aria-pressed", String(mode === "perpendicular"));
    stage.classList.toggle("measuring", Boolean(mode));
    const status = document.getElementById("measure-status");
    if (mode) status.textContent = `Click the two ends of the ${mode} diameter.`;
  }

  // Existing lesions, drawn where their end points were clicked.
  for (const lesion of config.lesions) {
    if (lesion.longest) line(lesion.longest, "saved");
    if (lesion.perpendicular) line(lesion.perpendicular, "saved perpendicular");
  }

  if (stage) {
    document.querySelectorAll("[data-zoom]").forEach((button) => button.addEventListener("click", () => {
      const how = button.dataset.zoom;
      if (how === "reset") { state.scale = 1; state.x = 0; state.y = 0; apply(); } else zoom(how === "in" ? 1.25 : 0.8);
    }));
    stage.addEventListener("wheel", (event) => { event.preventDefault(); zoom(event.deltaY < 0 ? 1.15 : 0.87); }, { passive: false });
    stage.addEventListener("keydown", (event) => {
      const step = 40;
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (event.key === "+" || event.key === "=") zoom(1.25);
      else if (event.key === "-") zoom(0.8);
      else if (event.key === "Escape") setMode(null);
      else if (moves[event.key]) { state.x += moves[event.key][0]; state.y += moves[event.key][1]; apply(); }
      else return;
      event.preventDefault();
    });
    let drag = null;
    stage.addEventListener("pointerdown", (event) => {
      if (state.mode) return;
      drag = { x: event.clientX - state.x, y: event.clientY - state.y };
      stage.setPointerCapture(event.pointerId);
    });
    stage.addEventListener("pointermove", (event) => {
      if (drag) { state.x = event.clientX - drag.x; state.y = event.clientY - drag.y; apply(); return; }
      const pts = state.mode && state.points[state.mode];
      if (pts && pts.length === 1 && config.spacing) {
        document.getElementById("live-mm").textContent = label(mm(pts[0], toImage(event)));
      }
    });
    stage.addEventListener("pointerup", () => { drag = null; });
    overlay.addEventListener("click", (event) => {
      if (!state.mode) return;
      const pts = state.points[state.mode];
      if (pts.length === 2) pts.length = 0;
      pts.push(toImage(event));
      if (pts.length === 2) {
        document.getElementById("live-mm").textContent = config.spacing ? label(mm(pts[0], pts[1])) : "";
        setMode(null);
        document.getElementById("measure-status").textContent = "Measured. Choose the site, then save.";
      }
      redraw();
    });
    document.getElementById("measure").addEventListener("click", () => {
      state.points = { longest: [], perpendicular: [] };
      redraw();
      setMode("longest");
    });
    document.getElementById("measure-perpendicular").addEventListener("click", () => {
      state.points.perpendicular = [];
      redraw();
      setMode("perpendicular");
    });
  }

  // The hand picker sets digit and segment.
  const digit = document.getElementById("f-digit");
  const segment = document.getElementById("f-segment");
  function pick(shape) {
    document.querySelectorAll(".hand .seg").forEach((el) => el.classList.toggle("selected", el === shape));
    digit.value = shape.dataset.digit;
    segment.value = shape.dataset.segment;
  }
  document.querySelectorAll(".hand .seg").forEach((shape) => {
    shape.addEventListener("click", () => pick(shape));
    shape.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(shape); }
    });
  });
  [digit, segment].forEach((select) => select.addEventListener("change", () => {
    document.querySelectorAll(".hand .seg").forEach((el) => el.classList.toggle(
      "selected", el.dataset.digit === digit.value && el.dataset.segment === segment.value));
  }));

  function csrf() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { longest_axis_px: state.points.longest };
    if (state.points.perpendicular.length === 2) body.perpendicular_axis_px = state.points.perpendicular;
    for (const name of ["laterality", "digit", "segment", "tissue", "morphology", "track"]) {
      const value = data.get(name);
      if (value) body[name] = name === "digit" || name === "track" ? Number(value) : value;
    }
    const errors = document.getElementById("lesion-errors");
    const response = await fetch(config.api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) },
      body: JSON.stringify(body),
    });
    if (response.ok) { window.location.reload(); return; }
    let messages = [`Could not save (${response.status}).`];
    try {
      const payload = await response.json();
      messages = payload.errors.map((e) => (e.field ? e.field.replace(/_/g, " ") + ": " : "") + e.message);
    } catch (_) { /* keep the status line */ }
    errors.textContent = messages.join(" ");
    errors.hidden = false;
  });
})();
