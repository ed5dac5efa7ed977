// Counter kiosk: polls its state, shows the citizen's survey in a frame, and resets after
// the answer or an idle timeout. Nothing is kept in the browser between citizens: no
// storage, and each survey gets a new frame that is removed afterwards.
(function () {
  "use strict";
  const body = document.querySelector("[data-kiosk]");
  if (!body) return;
  const POLL_MS = 1500;
  const DONE_MS = 5000;
  const idleMs = Number(body.dataset.idleSeconds || 90) * 1000;
  const screens = Array.from(document.querySelectorAll("[data-screen]"));
  const holder = document.querySelector("[data-frame]");
  let token = "";
  let frame = null;
  let lastActivity = Date.now();
  let doneUntil = 0;

  function show(name) {
    for (const screen of screens) screen.hidden = screen.dataset.screen !== name;
    body.dataset.state = name;
  }

  function touch() { lastActivity = Date.now(); }

  function dropFrame() {
    if (frame) {
      frame.src = "about:blank";
      frame.remove();
      frame = null;
    }
    token = "";
  }

  function openSurvey(next) {
    dropFrame();
    token = next;
    frame = document.createElement("iframe");
    frame.title = holder.dataset.frameTitle || "";
    frame.src = body.dataset.formUrl.replace("TOKEN", encodeURIComponent(next));
    frame.addEventListener("load", function () {
      touch();
      try {  // same origin: the citizen's touches inside the form count as activity
        const doc = frame.contentDocument;
        for (const kind of ["pointerdown", "keydown", "input", "scroll"]) {
          doc.addEventListener(kind, touch, true);
        }
        // "Save and continue later" makes no sense on a shared tablet.
        for (const button of doc.querySelectorAll("button[value=save]")) button.hidden = true;
      } catch (error) { /* a page of another origin: the timeout still applies */ }
    });
    holder.appendChild(frame);
    touch();
  }

  function setText(selector, value) {
    for (const node of document.querySelectorAll(selector)) node.textContent = value;
  }

  function apply(state) {
    if (state.counter) setText("[data-counter]", state.counter);
    if (state.state === "survey") {
      if (state.token !== token) openSurvey(state.token);
      show("survey");
      return;
    }
    if (state.state === "done") {
      dropFrame();
      doneUntil = Date.now() + DONE_MS;
      show("done");
      return;
    }
    if (Date.now() < doneUntil) return;  // let the thanks stay a moment
    dropFrame();
    if (state.state === "unpaired") setText("[data-code]", state.code || "");
    show(state.state === "unpaired" ? "unpaired" : "waiting");
  }

  async function reset() {
    const form = new FormData();
    form.append("token", token);
    dropFrame();
    show("waiting");
    try {
      const reply = await fetch(body.dataset.resetUrl, {
        method: "POST",
        body: form,
        headers: { "X-CSRFToken": body.dataset.csrf },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (reply.ok) apply(await reply.json());
    } catch (error) { /* the next poll settles it */ }
  }

  async function tick() {
    if (token && Date.now() - lastActivity > idleMs) {
      await reset();
    } else {
      try {
        const reply = await fetch(body.dataset.stateUrl, { cache: "no-store", credentials: "same-origin" });
        if (reply.ok) apply(await reply.json());
      } catch (error) { /* offline for a moment: keep the screen, try again */ }
    }
    window.setTimeout(tick, POLL_MS);
  }

  document.querySelector("[data-leave]").addEventListener("click", reset);
  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, touch, true);
  tick();
})();
