// Wallboard refresh: poll the JSON endpoint and update text in place (textContent only, never HTML).
(function () {
  "use strict";
  var script = document.getElementById("wb-script");
  var url = script.getAttribute("data-url");
  var STATES = {idle: "空闲", ringing: "振铃", talking: "通话中", paused: "暂停", offline: "离线"};
  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, obj);
  }
  function seconds(v) {
    if (v == null) return "—";
    v = Math.round(v);
    if (v < 60) return v + "秒";
    if (v < 3600) return Math.floor(v / 60) + "分" + String(v % 60).padStart(2, "0") + "秒";
    return Math.floor(v / 3600) + "时" + String(Math.floor(v % 3600 / 60)).padStart(2, "0") + "分";
  }
  function percent(v) { return v == null ? "—" : (v * 100).toFixed(1) + "%"; }
  function render(data) {
    document.querySelectorAll("[data-key]").forEach(function (el) {
      var v = get(data, el.getAttribute("data-key"));
      var fmt = el.getAttribute("data-fmt");
      el.textContent = fmt === "seconds" ? seconds(v) : fmt === "percent" ? percent(v) : (v == null ? "—" : String(v));
    });
    document.getElementById("kpi-waiting").classList.toggle("alert", data.waiting > 0);
    var box = document.getElementById("wb-seats");
    var existing = {};
    box.querySelectorAll("[data-seat]").forEach(function (el) { existing[el.getAttribute("data-seat")] = el; });
    data.seats.forEach(function (s) {
      var el = existing[s.seat];
      if (!el) {
        el = document.createElement("div");
        el.setAttribute("data-seat", s.seat);
        el.appendChild(document.createElement("b")).textContent = s.seat;
        el.appendChild(document.createElement("span"));
        box.appendChild(el);
      }
      el.className = "seat " + s.state;
      el.querySelector("span").textContent = STATES[s.state] || s.state;
      el.title = s.pause_reason || "";
    });
    document.getElementById("wb-at").textContent = data.at_local;
  }
  function tick() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(render)
      .catch(function () { document.getElementById("wb-at").textContent = "连接中断，重试中…"; })
      .finally(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 5000);
})();
