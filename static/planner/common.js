/* Helpers shared by the planners' pages: fetching JSON without console errors, messages, tables. */
(function (global) {
  "use strict";

  function message(text, level) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var item = document.createElement("p");
    item.className = "message message-" + (level || "info");
    item.textContent = text;
    box.appendChild(item);
  }

  /* Resolves to {ok, data, error}: a failed endpoint becomes a message on the page, not an
     exception, so one broken source never stops the others from being drawn. */
  function fetchJSON(url) {
    return fetch(url, {headers: {Accept: "application/json, application/geo+json"}})
      .then(function (response) {
        if (!response.ok) {
          var json = (response.headers.get("Content-Type") || "").indexOf("json") !== -1;
          return (json ? response.text() : Promise.resolve("")).then(function (body) {
            return {ok: false, error: ("HTTP " + response.status + " " + body.slice(0, 300)).trim()};
          });
        }
        return response.json().then(function (data) { return {ok: true, data: data}; });
      })
      .catch(function (error) { return {ok: false, error: String(error)}; });
  }

  function escapeHTML(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function formatValue(value, column) {
    if (column === "year") { return String(value); }
    if (typeof value === "number" && !Number.isInteger(value)) {
      return value.toLocaleString("vi-VN", {maximumFractionDigits: 2});
    }
    if (typeof value === "number") { return value.toLocaleString("vi-VN"); }
    if (value === true) { return "có (yes)"; }
    if (value === false) { return "không (no)"; }
    return value === null || value === undefined ? "" : String(value);
  }

  /* A table element for a list of flat records, in the order of ``columns`` when given, else in
     the key order of the first record. */
  function table(records, caption, columns) {
    var element = document.createElement("table");
    element.className = "data";
    columns = columns || (records.length ? Object.keys(records[0]) : []);
    var html = caption ? "<caption>" + escapeHTML(caption) + "</caption>" : "";
    html += "<thead><tr>" + columns.map(function (c) {
      return "<th>" + escapeHTML(c) + "</th>";
    }).join("") + "</tr></thead><tbody>";
    records.forEach(function (record) {
      html += "<tr>" + columns.map(function (c) {
        var v = record[c];
        return "<td" + (typeof v === "number" ? ' class="num"' : "") + ">" +
          escapeHTML(formatValue(v, c)) + "</td>";
      }).join("") + "</tr>";
    });
    if (!records.length) {
      html += '<tr><td class="empty">Không có dữ liệu (no data)</td></tr>';
    }
    element.innerHTML = html + "</tbody>";
    return element;
  }

  function properties(props) {
    return "<table class=\"popup\">" + Object.keys(props || {}).map(function (key) {
      return "<tr><th>" + escapeHTML(key) + "</th><td>" + escapeHTML(formatValue(props[key])) +
        "</td></tr>";
    }).join("") + "</table>";
  }

  global.Planner = {
    message: message,
    fetchJSON: fetchJSON,
    escapeHTML: escapeHTML,
    formatValue: formatValue,
    table: table,
    properties: properties
  };
})(window);
