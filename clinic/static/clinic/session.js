// The idle notice: a minute (data-warning-seconds) before the session ends, a "Stay signed in"
// button; when the time is up, the login page. Asking the time left (data-status-url) is not
// activity on the server, so this polling never keeps a session alive by itself; another tab's
// activity does, and the notice goes away when the server says so.
(function () {
  "use strict";
  const box = document.getElementById("session-notice");
  if (!box) return;
  const statusUrl = box.dataset.statusUrl;
  const loginUrl = box.dataset.loginUrl;
  const warning = Number(box.dataset.warningSeconds) || 60;
  const countdown = document.getElementById("session-countdown");
  const form = document.getElementById("session-keepalive");
  let deadline = Date.now() + Number(box.dataset.secondsLeft) * 1000;
  let timer = null;
  let ticker = null;
  let asking = false; // one question at a time: the ticker and the timer may both fire
  let leaving = false;

  const toLogin = () => {
    // Once: a second navigation would land on a login page without the reason (the first
    // one shows the message and consumes it).
    if (leaving) return;
    leaving = true;
    window.clearTimeout(timer);
    window.clearInterval(ticker);
    const next = window.location.pathname + window.location.search;
    window.location.assign(`${loginUrl}?next=${encodeURIComponent(next)}`);
  };
  const secondsLeft = () => Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  const schedule = (seconds) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(1, seconds) * 1000);
  };
  const show = () => {
    countdown.textContent = String(secondsLeft());
    if (box.hidden) {
      box.hidden = false;
      box.querySelector("button").focus();
    }
    if (ticker === null) {
      ticker = window.setInterval(() => {
        countdown.textContent = String(secondsLeft());
        if (secondsLeft() === 0) check();
      }, 1000);
    }
  };
  const hide = () => {
    box.hidden = true;
    window.clearInterval(ticker);
    ticker = null;
  };
  const apply = (response, data) => {
    if (response.status === 401 || (data && !data.signed_in)) {
      toLogin();
      return;
    }
    if (!data) {
      schedule(10); // not an answer of ours (a page in between): ask again shortly
      return;
    }
    deadline = Date.now() + data.seconds_left * 1000;
    if (data.seconds_left > warning) {
      hide();
      schedule(data.seconds_left - warning);
    } else {
      show();
      schedule(data.seconds_left > 0 ? Math.min(5, data.seconds_left) : 1);
    }
  };
  const ask = async (init) => {
    if (leaving || (asking && !init)) return;
    asking = true;
    try {
      const response = await fetch(init ? form.action : statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        ...(init || {}),
      });
      const type = response.headers.get("Content-Type") || "";
      apply(response, type.includes("json") ? await response.json() : null);
    } catch (error) {
      schedule(10); // the server is unreachable: try again shortly, keep the page
    } finally {
      asking = false;
    }
  };
  async function check() {
    await ask(null);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask({ method: "POST", body: new FormData(form) });
  });
  if (secondsLeft() <= warning) check();
  else schedule(secondsLeft() - warning);
})();
