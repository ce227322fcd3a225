/* Helpers shared by the planners' pages: fetching JSON without console errors, messages, one
   number format for tables, charts and popups, tables with human column names. */
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

  /* Resolves to {ok, data} or {ok: false, status, fields, error}: a failed endpoint becomes a
     message on the page, not an exception, so one broken source never stops the others. An API
     refusal ({"field": ["reason"]}) keeps its fields, so the page can show the reason beside the
     field rather than the raw answer. */
  function fetchJSON(url) {
    return fetch(url, {headers: {Accept: "application/json, application/geo+json"}})
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) {
            return {ok: false, status: response.status, fields: body,
              error: "HTTP " + response.status};
          }, function () {
            return {ok: false, status: response.status, fields: null,
              error: "HTTP " + response.status};
          });
        }
        return response.json().then(function (data) { return {ok: true, data: data}; });
      })
      .catch(function (error) { return {ok: false, fields: null, error: String(error)}; });
  }

  /* One line for a failed request: the API's reasons when it gave any, else the status. */
  function errorText(result) {
    var fields = result.fields;
    if (fields && typeof fields === "object") {
      var parts = Object.keys(fields).map(function (key) {
        var reason = fields[key];
        return key + ": " + (Array.isArray(reason) ? reason.join(" ") : String(reason));
      });
      if (parts.length) { return parts.join("; "); }
    }
    return result.error;
  }

  function escapeHTML(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /* Display formats in the page's language. Shares keep two significant digits below 1 %, so a
     small share (10 of 3,463 is 0.29 %) never shows as 0. Machine values never pass through here. */
  function formats(lang) {
    var locale = lang || "vi";
    var integer = new Intl.NumberFormat(locale, {maximumFractionDigits: 0});
    var decimal = new Intl.NumberFormat(locale, {maximumFractionDigits: 1});
    var share = new Intl.NumberFormat(locale, {style: "percent", maximumFractionDigits: 1});
    var small = new Intl.NumberFormat(locale, {style: "percent", maximumSignificantDigits: 2});
    function missing(value) { return typeof value !== "number" || !isFinite(value); }
    return {
      locale: locale,
      integer: function (v) { return missing(v) ? "" : integer.format(v); },
      decimal: function (v) { return missing(v) ? "" : decimal.format(v); },
      share: function (v) {
        if (missing(v)) { return ""; }
        return v !== 0 && Math.abs(v) < 0.01 ? small.format(v) : share.format(v);
      }
    };
  }

  /* A table element for a list of flat records: ``columns`` in order, headed by ``labels`` (the
     page's words for them), each value shown by ``show(value, column)``. */
  function table(records, caption, columns, labels, show) {
    var element = document.createElement("table");
    element.className = "data";
    var html = caption ? "<caption>" + escapeHTML(caption) + "</caption>" : "";
    html += "<thead><tr>" + columns.map(function (c) {
      return "<th scope=\"col\">" + escapeHTML(labels[c] || c) + "</th>";
    }).join("") + "</tr></thead><tbody>";
    records.forEach(function (record) {
      html += "<tr>" + columns.map(function (c) {
        var v = record[c];
        return "<td" + (typeof v === "number" ? " class=\"num\"" : "") + ">" +
          escapeHTML(show(v, c)) + "</td>";
      }).join("") + "</tr>";
    });
    if (!records.length) {
      html += "<tr><td class=\"empty\" colspan=\"" + Math.max(columns.length, 1) + "\">" +
        escapeHTML(labels.no_data || "—") + "</td></tr>";
    }
    element.innerHTML = html + "</tbody>";
    return element;
  }

  global.Planner = {
    message: message,
    fetchJSON: fetchJSON,
    errorText: errorText,
    escapeHTML: escapeHTML,
    formats: formats,
    table: table
  };
})(window);
