// Radiograph viewer: zoom and pan; measure a lesion with the mouse (click its two ends) or the
// keyboard (a crosshair moved with the arrow keys); pick its site on a drawn hand; save, edit and
// remove lesions through the REST API (session + CSRF, If-Match on changes). Coordinates are kept
// in the original image's pixels (the overlay's viewBox), whatever the zoom. The lesion list is
// rendered by the server (clinic.views.radiographs) and fetched again after each change.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("viewer-config").textContent);
  const $ = (id) => document.getElementById(id);
  const stage = $("stage");
  const canvas = $("canvas");
  const overlay = $("overlay");
  const form = $("lesion-form");
  const saveButton = $("save-lesion");
  const SVG = "http://www.w3.org/2000/svg";
  const STEP_PX = 1;
  const SHIFT_STEP_PX = 10;
  const CHANGED_ELSEWHERE =
    "This lesion was changed by someone else since you opened it. Reload the page to see their version, then edit again.";
  const GONE = "This lesion no longer exists: someone removed it. The list is up to date again.";
  const state = {
    scale: 1, x: 0, y: 0, mode: null, cursor: null,
    points: { longest: [], perpendicular: [] },
    editing: null, // {id, etag} while a listed lesion is edited
  };

  // --- Millimetres: the registry's one rule (registry.formatting.mm_text) -------------------
  // The server stores mm to 0.01 (imaging.services); tables show one decimal rounded half-up on
  // that decimal value. toFixed rounds the binary value (12.85 -> "12.8"), so the half-up step
  // is done on the number's shortest decimal writing, as Python's Decimal(str(x)) does.
  function oneDecimal(value) {
    const text = String(Math.abs(value));
    if (text.includes("e")) return value.toFixed(1);
    const [whole, fraction = ""] = text.split(".");
    let tenths = Number(whole) * 10 + Number(fraction[0] || 0);
    if (Number(fraction[1] || 0) >= 5) tenths += 1;
    const out = (tenths / 10).toFixed(1);
    return (value < 0 && tenths ? "-" : "") + out.replace(".", config.decimal_separator || ".");
  }
  function asStored(value) { return Number(value.toFixed(2)); }
  function mm(a, b) {
    const [row, column] = config.spacing;
    return asStored(Math.hypot((b[0] - a[0]) * column, (b[1] - a[1]) * row));
  }
  function label(value, approximate = config.approximate) {
    return oneDecimal(value) + " mm" + (approximate ? " (approximate)" : "");
  }

  // --- Drawing --------------------------------------------------------------------------------
  function svg(name, attributes, cls) {
    const el = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value);
    el.setAttribute("class", cls);
    overlay.appendChild(el);
    return el;
  }
  function line(points, cls) {
    return svg("line", {
      x1: points[0][0], y1: points[0][1], x2: points[1][0], y2: points[1][1],
      "vector-effect": "non-scaling-stroke",
    }, cls);
  }
  const radius = Math.max(config.columns || 0, config.rows || 0) / 250 || 4;
  function dot(point, cls) { svg("circle", { cx: point[0], cy: point[1], r: radius }, cls); }
  function drawSaved(drawings) {
    if (!overlay) return;
    overlay.querySelectorAll(".saved").forEach((el) => el.remove());
    for (const lesion of drawings) {
      const editing = state.editing && state.editing.id === lesion.id ? " editing" : "";
      if (lesion.longest) line(lesion.longest, "saved" + editing);
      if (lesion.perpendicular) line(lesion.perpendicular, "saved perpendicular" + editing);
    }
  }
  function drawCursor() {
    if (!overlay) return;
    overlay.querySelectorAll(".crosshair").forEach((el) => el.remove());
    if (!state.cursor || !state.mode) return;
    const [x, y] = state.cursor;
    const arm = radius * 4;
    const attrs = { "vector-effect": "non-scaling-stroke" };
    svg("line", { ...attrs, x1: x - arm, y1: y, x2: x + arm, y2: y }, "crosshair");
    svg("line", { ...attrs, x1: x, y1: y - arm, x2: x, y2: y + arm }, "crosshair");
    const pts = state.points[state.mode];
    if (pts.length === 1) line([pts[0], state.cursor], "crosshair rubber-band");
  }
  function toImage(event) {
    const point = overlay.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    const p = point.matrixTransform(overlay.getScreenCTM().inverse());
    return [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10];
  }
  function toScreen(imagePoint) {
    const point = overlay.createSVGPoint();
    [point.x, point.y] = imagePoint;
    return point.matrixTransform(overlay.getScreenCTM());
  }
  function apply() {
    canvas.style.transform = `translate(${state.x}px, ${state.y}px) scale(${state.scale})`;
  }
  function zoom(factor) {
    state.scale = Math.min(12, Math.max(0.5, state.scale * factor));
    apply();
  }
  function redraw() {
    if (overlay) overlay.querySelectorAll(".draft").forEach((el) => el.remove());
    for (const kind of ["longest", "perpendicular"]) {
      const pts = state.points[kind];
      if (!overlay) continue;
      pts.forEach((p) => dot(p, "draft " + kind));
      if (pts.length === 2) line(pts, "draft " + kind);
      if (pts.length === 2) $("f-" + kind).textContent = label(mm(pts[0], pts[1]));
      else if (!state.editing) $("f-" + kind).textContent = "—";
    }
    drawCursor();
    if (stage) $("measure-perpendicular").disabled = !hasLongest();
    updateSave();
  }

  // --- Measuring ------------------------------------------------------------------------------
  const status = $("measure-status");
  function hasLongest() {
    return state.points.longest.length === 2 || Boolean(state.editing && state.editing.longest);
  }
  function setMode(mode) {
    state.mode = mode;
    $("measure").setAttribute("aria-pressed", String(mode === "longest"));
    $("measure-perpendicular").setAttribute("aria-pressed", String(mode === "perpendicular"));
    stage.classList.toggle("measuring", Boolean(mode));
    stage.setAttribute("aria-label", mode ? `Radiograph: measuring the ${mode} diameter` : "Radiograph");
    if (!mode) state.cursor = null;
    drawCursor();
  }
  function imageCentre() {
    // At "Fit" the crosshair starts in the image's centre; zoomed or panned, in the view's.
    if (state.scale === 1 && state.x === 0 && state.y === 0) {
      return [Math.round(config.columns / 2), Math.round(config.rows / 2)];
    }
    const box = stage.getBoundingClientRect();
    const [x, y] = toImage({ clientX: box.left + box.width / 2, clientY: box.top + box.height / 2 });
    return clamp([Math.round(x), Math.round(y)]);
  }
  function clamp([x, y]) {
    return [Math.min(Math.max(x, 0), config.columns - 1), Math.min(Math.max(y, 0), config.rows - 1)];
  }
  function keepCursorInView() {
    const box = stage.getBoundingClientRect();
    const p = toScreen(state.cursor);
    const margin = 24;
    let dx = 0, dy = 0;
    if (p.x < box.left + margin) dx = box.left + margin - p.x;
    if (p.x > box.right - margin) dx = box.right - margin - p.x;
    if (p.y < box.top + margin) dy = box.top + margin - p.y;
    if (p.y > box.bottom - margin) dy = box.bottom - margin - p.y;
    if (dx || dy) { state.x += dx; state.y += dy; apply(); }
  }
  function announceCursor() {
    const pts = state.points[state.mode];
    if (pts.length === 1 && config.spacing) $("live-mm").textContent = label(mm(pts[0], state.cursor));
  }
  function startMeasuring(kind, byKeyboard) {
    state.points[kind] = [];
    if (kind === "longest") state.points.perpendicular = [];
    setMode(kind);
    redraw();
    $("live-mm").textContent = "";
    status.textContent = byKeyboard
      ? `Measuring the ${kind} diameter: move the crosshair to one end with the arrow keys (Shift: ten pixels) and press Enter; then to the other end and press Enter. Escape cancels.`
      : `Click the two ends of the ${kind} diameter.`;
    if (byKeyboard) {
      state.cursor = imageCentre();
      drawCursor();
      stage.focus();
    }
  }
  function setPoint(point) {
    const pts = state.points[state.mode];
    if (pts.length === 2) pts.length = 0;
    if (pts.length === 1 && pts[0][0] === point[0] && pts[0][1] === point[1]) {
      status.textContent = "That is the first point: move to the other end first.";
      return;
    }
    pts.push(point);
    const kind = state.mode;
    if (pts.length === 1) {
      status.textContent = `First end set. Move to the other end of the ${kind} diameter and set it.`;
    } else {
      const value = config.spacing ? label(mm(pts[0], pts[1])) : "";
      $("live-mm").textContent = value;
      setMode(null);
      status.textContent = `Measured the ${kind} diameter: ${value}. ` +
        (kind === "longest" ? "Choose the site, then save." : "Save when the site is chosen.");
    }
    redraw();
  }
  function cancelMeasuring() {
    if (!state.mode) return;
    const kind = state.mode;
    state.points[kind] = [];
    setMode(null);
    redraw();
    $("live-mm").textContent = "";
    status.textContent = `Measuring the ${kind} diameter cancelled.`;
  }

  if (stage) {
    document.querySelectorAll("[data-zoom]").forEach((button) => button.addEventListener("click", () => {
      const how = button.dataset.zoom;
      if (how === "reset") { state.scale = 1; state.x = 0; state.y = 0; apply(); } else zoom(how === "in" ? 1.25 : 0.8);
    }));
    stage.addEventListener("wheel", (event) => { event.preventDefault(); zoom(event.deltaY < 0 ? 1.15 : 0.87); }, { passive: false });
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    stage.addEventListener("keydown", (event) => {
      const arrow = arrows[event.key];
      if (event.key === "+" || event.key === "=") zoom(1.25);
      else if (event.key === "-") zoom(0.8);
      else if (event.key === "Escape" && state.mode) cancelMeasuring();
      else if (state.mode && arrow) {
        const step = event.shiftKey ? SHIFT_STEP_PX : STEP_PX;
        const from = state.cursor || imageCentre();
        state.cursor = clamp([from[0] + arrow[0] * step, from[1] + arrow[1] * step]);
        drawCursor();
        keepCursorInView();
        announceCursor();
      } else if (state.mode && (event.key === "Enter" || event.key === " ")) {
        if (!state.cursor) { state.cursor = imageCentre(); drawCursor(); } else setPoint(state.cursor.slice());
      } else if (arrow) {
        const step = 40;
        state.x -= arrow[0] * step; state.y -= arrow[1] * step; apply();
      } else return;
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
      if (pts && pts.length === 1 && config.spacing) $("live-mm").textContent = label(mm(pts[0], toImage(event)));
    });
    stage.addEventListener("pointerup", () => { drag = null; });
    overlay.addEventListener("click", (event) => {
      if (state.mode) setPoint(toImage(event));
    });
    // A click from the keyboard (Enter or Space on the button) has detail 0: measure by keyboard.
    $("measure").addEventListener("click", (event) => startMeasuring("longest", event.detail === 0));
    $("measure-perpendicular").addEventListener("click", (event) => startMeasuring("perpendicular", event.detail === 0));
  }

  // --- The site ------------------------------------------------------------------------------
  const field = (name) => form.elements.namedItem(name);
  function syncPicker() {
    const digit = field("digit"), segment = field("segment");
    document.querySelectorAll(".hand .seg").forEach((el) => {
      const on = Boolean(segment && segment.value) && el.dataset.segment === segment.value &&
        el.dataset.digit === (digit ? digit.value : "");
      el.classList.toggle("selected", on);
      el.setAttribute("aria-pressed", String(on));
    });
  }
  function pick(shape) {
    field("digit").value = shape.dataset.digit;
    field("segment").value = shape.dataset.segment;
    syncPicker();
    updateSave();
  }
  document.querySelectorAll(".hand .seg").forEach((shape) => {
    shape.addEventListener("click", () => pick(shape));
    shape.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(shape); }
    });
  });
  form.addEventListener("change", () => { syncPicker(); updateSave(); });

  // What still keeps "Save" disabled (DOMAIN.md "A lesion's site"; the server refuses the same).
  function missing() {
    const out = [];
    if (!hasLongest()) out.push(config.spacing ? "measure the longest diameter on the image" : "this radiograph has no pixel spacing: type the lesion in mm in the follow-up form");
    if (config.bilateral && !field("laterality").value) out.push("choose the side");
    const segment = field("segment") ? field("segment").value : "";
    if (config.site_required && !segment) out.push("choose the segment (where on the " + (config.region_word || "hand") + ")");
    if (config.digit_segments.includes(segment) && !field("digit").value) out.push("choose the digit");
    return out;
  }
  function updateSave() {
    const todo = missing();
    saveButton.disabled = todo.length > 0;
    const hint = $("save-hint");
    const text = todo.length ? "To save: " + todo.join("; ") + "." : "";
    if (hint.textContent !== text) hint.textContent = text;
  }

  // --- The API ---------------------------------------------------------------------------------
  function csrf() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  async function api(url, method, body, etag) {
    const headers = { "X-CSRFToken": csrf(), Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (etag) headers["If-Match"] = etag;
    if (method === "POST") headers["Idempotency-Key"] = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    return fetch(url, {
      method, credentials: "same-origin", headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  function fieldLabel(name) {
    const input = name && form.querySelector(`[name="${name}"]`);
    if (input && input.labels && input.labels.length) return input.labels[0].textContent;
    const words = { longest_axis_px: "Longest diameter", perpendicular_axis_px: "Perpendicular diameter",
      longest_diameter_mm: "Longest diameter", perpendicular_diameter_mm: "Perpendicular diameter" };
    return words[name] || (name ? name.replace(/_/g, " ") : "");
  }
  async function problems(response) {
    if (response.status === 412) return [{ field: null, message: CHANGED_ELSEWHERE }];
    if (response.status === 404 && response.url.includes(config.lesion_api)) return [{ field: null, message: GONE }];
    try {
      const payload = await response.json();
      if (payload.errors && payload.errors.length) return payload.errors;
    } catch (_) { /* not JSON: the status line below */ }
    return [{ field: null, message: `Could not save (HTTP ${response.status}). Try again.` }];
  }
  function showErrors(box, errors) {
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    box.replaceChildren();
    if (!errors.length) { box.hidden = true; return; }
    const list = document.createElement("ul");
    for (const error of errors) {
      const item = document.createElement("li");
      const name = fieldLabel(error.field);
      item.textContent = (name ? name + ": " : "") + error.message;
      list.appendChild(item);
      const input = error.field && form.querySelector(`[name="${error.field}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
    }
    box.appendChild(list);
    if (errors.some((e) => e.message === CHANGED_ELSEWHERE)) {
      const reload = document.createElement("button");
      reload.type = "button";
      reload.textContent = "Reload the page";
      reload.addEventListener("click", () => window.location.reload());
      box.appendChild(reload);
    }
    box.hidden = false;
  }
  function announce(text) {
    const out = $("lesion-status");
    out.textContent = text;
    out.focus();
  }

  // The list (and the deposits to choose from) as the server renders them now.
  async function refreshList() {
    const response = await fetch(config.list, { credentials: "same-origin" });
    if (!response.ok) return null;
    const fragment = new DOMParser().parseFromString(await response.text(), "text/html");
    $("lesion-list").replaceChildren(fragment.getElementById("lesion-table"), fragment.getElementById("lesion-drawings"));
    const track = field("track");
    const chosen = track.value;
    track.replaceChildren(...fragment.getElementById("f-track").children);
    track.value = chosen;
    drawSaved(JSON.parse($("lesion-drawings").textContent));
    return fragment;
  }
  function rowText(id) {
    const row = document.querySelector(`#lesion-table tr[data-lesion="${id}"]`);
    if (!row) return null;
    const deposit = row.dataset.deposit ? ` Deposit: ${row.dataset.deposit}.` : " Deposit: matched when the progression is computed.";
    return { site: row.dataset.site, mm: row.dataset.mm, deposit };
  }

  function payload() {
    const data = new FormData(form);
    const body = {};
    if (state.points.longest.length === 2) body.longest_axis_px = state.points.longest;
    if (state.points.perpendicular.length === 2) body.perpendicular_axis_px = state.points.perpendicular;
    for (const name of ["laterality", "digit", "segment", "tissue", "morphology", "density", "track"]) {
      if (!form.elements.namedItem(name)) continue;
      const value = data.get(name) || "";
      const numeric = name === "digit" || name === "track";
      if (!state.editing) { if (value) body[name] = numeric ? Number(value) : value; continue; }
      // An edit sends what changed only: sending the engine's track back would make it the
      // user's choice (api.serializers.imaging.LesionSerializer.validate).
      if (value !== state.editing.original[name]) body[name] = numeric ? (value ? Number(value) : null) : value;
    }
    return body;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    updateSave();
    if (saveButton.disabled) return;
    const errors = $("lesion-errors");
    saveButton.disabled = true;
    const editing = state.editing;
    const response = editing
      ? await api(`${config.lesion_api}${editing.id}/`, "PATCH", payload(), editing.etag)
      : await api(config.api, "POST", payload());
    if (!response.ok) {
      showErrors(errors, await problems(response));
      if (response.status === 404 && editing) { stopEditing(); await refreshList(); }
      updateSave();
      errors.focus();
      return;
    }
    const lesion = await response.json();
    showErrors(errors, []);
    state.points = { longest: [], perpendicular: [] };
    if (editing) stopEditing(); else resetForm();
    await refreshList();
    redraw();
    const row = rowText(lesion.id);
    const verb = editing ? "Lesion updated" : "Lesion saved";
    announce(row ? `${verb}: ${row.site} — ${row.mm}.${row.deposit}` : `${verb}.`);
  });

  function resetForm() {
    form.reset();
    syncPicker();
    $("f-longest").textContent = "—";
    $("f-perpendicular").textContent = "—";
    status.textContent = config.spacing
      ? "Press “Measure a new lesion” for the next one."
      : status.textContent;
  }

  // --- Edit and remove a listed lesion ----------------------------------------------------------
  async function readLesion(id) {
    const response = await api(`${config.lesion_api}${id}/`, "GET");
    if (!response.ok) return { error: await problems(response), status: response.status };
    return { lesion: await response.json(), etag: response.headers.get("ETag") };
  }
  async function startEditing(id) {
    const { lesion, etag, error } = await readLesion(id);
    if (error) { showErrors($("lesion-errors"), error); await refreshList(); return; }
    resetForm();
    state.points = { longest: [], perpendicular: [] };
    state.editing = { id, etag, longest: true, original: {} };
    for (const name of ["laterality", "digit", "segment", "tissue", "morphology", "density", "track"]) {
      const input = form.elements.namedItem(name);
      const value = lesion[name] === null || lesion[name] === undefined ? "" : String(lesion[name]);
      if (!input) continue;
      input.value = value;
      state.editing.original[name] = input.value; // what the form shows (an option may be missing)
    }
    $("f-longest").textContent = label(lesion.longest_diameter_mm, lesion.approximate);
    $("f-perpendicular").textContent = lesion.perpendicular_diameter_mm
      ? label(lesion.perpendicular_diameter_mm, lesion.approximate) : "—";
    const row = rowText(id);
    $("lesion-h").textContent = "Edit lesion" + (row ? `: ${row.site}` : "");
    saveButton.textContent = "Save changes";
    $("cancel-edit").hidden = false;
    if (stage) $("measure").textContent = "Measure it again";
    status.textContent = "Change the site, morphology, density or deposit; measuring again is optional.";
    showErrors($("lesion-errors"), []);
    syncPicker();
    drawSaved(JSON.parse($("lesion-drawings").textContent));
    redraw();
    $("lesion-h").focus();
  }
  function stopEditing() {
    state.editing = null;
    state.points = { longest: [], perpendicular: [] };
    $("lesion-h").textContent = "New lesion";
    saveButton.textContent = "Save lesion";
    $("cancel-edit").hidden = true;
    if (stage) $("measure").textContent = "Measure a new lesion";
    resetForm();
    drawSaved(JSON.parse($("lesion-drawings").textContent));
    redraw();
  }
  $("cancel-edit").addEventListener("click", () => {
    stopEditing();
    showErrors($("lesion-errors"), []);
    $("lesion-h").focus();
  });

  const dialog = $("remove-dialog");
  let removing = null;
  async function startRemoving(id) {
    const { etag, error } = await readLesion(id);
    if (error) { showErrors($("lesion-errors"), error); await refreshList(); return; }
    removing = { id, etag };
    const row = rowText(id);
    $("remove-what").textContent = row ? `${row.site} — ${row.mm}.` : "";
    $("remove-errors").hidden = true;
    $("f-remove-reason").value = "";
    dialog.showModal();
    $("f-remove-reason").focus();
  }
  $("remove-cancel").addEventListener("click", () => dialog.close());
  $("remove-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = $("f-remove-reason").value.trim();
    const box = $("remove-errors");
    if (!reason) {
      box.textContent = "Reason: say why the lesion is removed (kept in the audit trail).";
      box.hidden = false;
      $("f-remove-reason").setAttribute("aria-invalid", "true");
      $("f-remove-reason").focus();
      return;
    }
    const row = rowText(removing.id);
    const url = `${config.lesion_api}${removing.id}/?reason=${encodeURIComponent(reason)}`;
    const response = await api(url, "DELETE", undefined, removing.etag);
    if (!response.ok && response.status !== 404) {
      const errors = await problems(response);
      box.textContent = errors.map((e) => (e.field && e.field !== "reason" ? fieldLabel(e.field) + ": " : "") + e.message).join(" ");
      box.hidden = false;
      return;
    }
    dialog.close();
    if (state.editing && state.editing.id === removing.id) stopEditing();
    await refreshList();
    redraw();
    announce(response.status === 404 ? GONE : `Lesion removed: ${row ? row.site + " — " + row.mm : ""}.`);
    removing = null;
  });

  $("lesion-list").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.edit) startEditing(Number(button.dataset.edit));
    else if (button.dataset.remove) startRemoving(Number(button.dataset.remove));
  });

  drawSaved(JSON.parse($("lesion-drawings").textContent));
  syncPicker();
  updateSave();
})();
