// Loads the WebAssembly verifier and renders what it finds. The verifier
// itself is Go (cmd/verifier-wasm); this file only moves text around and
// never uses innerHTML with data from the deployment.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const marks = { pass: "✓", skipped: "!", fail: "✗" };
const words = {
  green: "Verified on real hardware",
  amber: "Nothing failed, but not everything could be proven (simulated or a check could not run)",
  red: "Verification FAILED",
};

function renderReport(r) {
  const box = el("div", "report");
  box.dataset.testid = "report";
  const h = el("h3");
  h.append(el("span", "", r.name), el("span", "state state-" + r.state, r.state));
  box.append(h);
  const list = el("ul", "checks");
  if (r.signing_address) box.append(el("p", "detail", "Signing address " + r.signing_address + " (" + r.signing_algo + ")"));
  for (const c of r.checks || []) {
    const li = el("li", c.status);
    li.append(el("span", "mark", marks[c.status] || "?"), el("strong", "", c.name + " "), el("span", "detail", c.detail));
    list.append(li);
  }
  box.append(list);
  return box;
}

function render(result) {
  $("summary").replaceChildren(el("span", "state state-" + result.state, result.state), document.createTextNode(" " + words[result.state]));
  if (result.reason) $("summary").append(el("p", "detail", result.reason));
  $("summary").dataset.state = result.state;
  $("reports").replaceChildren(...(result.reports || []).map(renderReport));
  $("raw").textContent = JSON.stringify(result, null, 2);
  $("result").hidden = false;
}

async function start() {
  const go = new Go();
  const wasm = await WebAssembly.instantiateStreaming(fetch("verifier.wasm"), go.importObject);
  go.run(wasm.instance);
  const params = new URLSearchParams(location.search);
  if (params.get("url")) $("url").value = params.get("url");
  $("verify").disabled = false;
  $("status").textContent = "Ready.";
  $("verify-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("verify").disabled = true;
    $("status").className = "";
    $("status").textContent = "Asking " + $("url").value + " for fresh evidence…";
    try {
      render(JSON.parse(await globalThis.confidantVerify($("url").value)));
      $("status").textContent = "Done.";
    } catch (err) {
      $("status").className = "error";
      $("status").textContent = String(err.message || err);
    } finally {
      $("verify").disabled = false;
    }
  });
  if (params.get("url") && params.get("auto") === "1") $("verify-form").requestSubmit();
}

start().catch((err) => {
  $("status").className = "error";
  $("status").textContent = "The verifier could not start: " + (err.message || err);
});
