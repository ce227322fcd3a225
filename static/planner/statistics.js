/* The statistics page: headline figures, charts and tables from the statistics API, in the
   page's language and one number format. The filters were checked by the server: when they are
   not valid the page shows the reason beside the field and asks the API nothing. */
(function () {
  "use strict";
  var root = document.getElementById("statistics");
  var labels = JSON.parse(document.getElementById("planner-labels").textContent);
  var captions = JSON.parse(document.getElementById("planner-captions").textContent);
  var format = Planner.formats(document.documentElement.lang);
  var PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"];
  var dates = new Intl.DateTimeFormat(format.locale, {dateStyle: "medium", timeZone: "UTC"});

  if (root.dataset.valid !== "1") {
    document.body.dataset.ready = "1";
    return;
  }

  function url(name, extra) {
    var query = new URLSearchParams(root.dataset.query);
    Object.keys(extra || {}).forEach(function (k) { query.set(k, extra[k]); });
    var text = query.toString();
    return root.dataset.base + name + "/" + (text ? "?" + text : "");
  }

  var STARS = {"5": labels["5"], potential_5: labels.potential_5, "4": labels["4"],
    "3": labels["3"]};

  /* What a planner reads: codes become names, no internal columns; one format per kind. */
  function show(value, column) {
    if (value === null || value === undefined) { return ""; }
    if (column === "year") { return String(value); }
    if (column === "share") { return format.share(value); }
    if (column === "category") { return labels["category_" + value] || value; }
    if (column === "star_class") { return STARS[value] || value; }
    if (column === "level") { return labels["level_" + value] || value; }
    if (/_on$/.test(column) && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      return dates.format(new Date(value + "T00:00:00Z"));
    }
    if (typeof value === "boolean") { return value ? labels.yes : labels.no; }
    if (typeof value === "number") { return format.integer(value); }
    return String(value);
  }

  /* Each table's columns, in order, with the page's word for each when the API's column name
     alone would be ambiguous (a product's name, an area's name). */
  var TABLES = {
    byYear: ["by-year", ["year", "rated", "5", "potential_5", "4", "3", "cumulative",
      "valid_at_year_end"]],
    targets: ["targets", ["year", "rated", "target", "share", "met", "shortfall"]],
    byGroup: ["by-group", ["label", "products", "share", "5", "potential_5", "4", "3"],
      {label: labels.category}],
    byStars: ["by-stars", ["star_class", "products", "share"]],
    byKind: ["by-producer-kind", ["label", "producers", "products", "share"],
      {label: labels.producer_kind}],
    byArea: ["by-area", ["name", "products", "share", "5", "potential_5", "4", "3"],
      {name: labels.area}],
    expiring: ["expiring", ["name", "category", "star_class", "rated_on", "rating_expires_on",
      "days_left", "producer_name", "area_name"], {name: labels.product}]
  };

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.locale = format.locale;

  /* Long category names are broken over lines rather than clipped at the axis. */
  function wrapped(text, width) {
    var lines = [], line = "";
    String(text).split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  function countAxis() {
    return {beginAtZero: true, ticks: {precision: 0, callback: function (v) {
      return format.integer(v);
    }}};
  }

  function chart(id, config) {
    config.options = config.options || {};
    config.options.plugins = config.options.plugins || {};
    config.options.plugins.tooltip = {callbacks: {label: function (item) {
      return (item.dataset.label ? item.dataset.label + ": " : "") + format.integer(item.raw);
    }}};
    return new Chart(document.getElementById(id), config);
  }

  function drawSummary(data) {
    var list = document.getElementById("summary");
    ["certified", "valid", "producers", "below_3", "expiring", "rated_this_year", "target"]
      .forEach(function (key) {
        var item = document.createElement("div");
        var dt = document.createElement("dt");
        dt.textContent = labels["summary_" + key];
        var dd = document.createElement("dd");
        dd.textContent = format.integer(data[key]);
        dd.id = "summary-" + key;
        item.appendChild(dt);
        item.appendChild(dd);
        list.appendChild(item);
      });
  }

  function drawByYear(years, targets) {
    var byYear = {};
    (targets || []).forEach(function (row) { byYear[row.year] = row.target; });
    chart("chart-by-year", {
      data: {
        labels: years.map(function (r) { return String(r.year); }),
        datasets: [
          {type: "bar", label: labels.rated_per_year, backgroundColor: PALETTE[0],
            data: years.map(function (r) { return r.rated; })},
          {type: "line", label: labels.target, borderColor: PALETTE[1], pointRadius: 2,
            data: years.map(function (r) {
              return byYear[r.year] === undefined ? null : byYear[r.year];
            })},
          {type: "line", label: labels.valid_at_year_end, borderColor: PALETTE[2],
            borderDash: [4, 4], pointRadius: 2,
            data: years.map(function (r) { return r.valid_at_year_end; })}
        ]
      },
      options: {scales: {y: countAxis()}}
    });
  }

  function drawBars(id, rows, labelOf, horizontal) {
    var axis = {};
    axis[horizontal ? "x" : "y"] = countAxis();
    // Every group is named, however tall its wrapped name: Chart.js would skip some otherwise.
    axis[horizontal ? "y" : "x"] = {ticks: {autoSkip: false}};
    chart(id, {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return wrapped(labelOf(r), horizontal ? 22 : 14); }),
        datasets: [{label: labels.products, backgroundColor: PALETTE,
          data: rows.map(function (r) { return r.products; })}]
      },
      options: {indexAxis: horizontal ? "y" : "x", scales: axis,
        plugins: {legend: {display: false}}}
    });
  }

  function drawExpiring(rows) {
    var months = {};
    rows.forEach(function (r) {
      var month = String(r.rating_expires_on).slice(0, 7);
      months[month] = (months[month] || 0) + 1;
    });
    var keys = Object.keys(months).sort();
    var monthName = new Intl.DateTimeFormat(format.locale,
      {month: "short", year: "numeric", timeZone: "UTC"});
    chart("chart-expiring", {
      type: "bar",
      data: {
        labels: keys.map(function (m) { return monthName.format(new Date(m + "-01T00:00:00Z")); }),
        datasets: [{label: labels.expiring_per_month, backgroundColor: PALETTE[3],
          data: keys.map(function (m) { return months[m]; })}]
      },
      options: {scales: {y: countAxis()}, plugins: {legend: {display: false}}}
    });
  }

  var tables = document.getElementById("tables");
  function addTable(name, answer) {
    var spec = TABLES[name];
    var named = Object.assign({}, labels, spec[2] || {});
    var wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.appendChild(Planner.table(answer.results, captions[spec[0]], spec[1], named, show));
    wrap.firstChild.dataset.table = spec[0];
    tables.appendChild(wrap);
  }

  /* The funnel's rows as the API gives them (its CSV and XLSX are these rows): the key column
     first, a group by its name, proposals without a chain or area as "(none)". */
  var FUNNEL = ["proposals", "accepted", "mou_signed", "trading", "ended",
    "median_days_to_trading"];
  function drawFunnel(answer) {
    var key = answer.by;
    var table = Planner.table(answer.results, captions.funnel, [key].concat(FUNNEL), labels,
      function (value, column) {
        if (column === key && value === "") { return labels.funnel_none; }
        if (column === key && key === "group") { return labels["category_" + value] || value; }
        if (column === "median_days_to_trading") { return format.decimal(value); }
        return show(value, column);
      });
    table.dataset.table = "funnel";
    document.getElementById("funnel-table").appendChild(table);
  }

  /* An API refusal names a field: show its reason beside the field, once; anything else is one
     message at the top. */
  var shown = {};
  function refused(result) {
    var text = Planner.errorText(result);
    if (shown[text]) { return; }
    shown[text] = true;
    var fields = result.fields && typeof result.fields === "object" ? Object.keys(result.fields) : [];
    var input = fields.length ? document.querySelector("[name=\"" + fields[0] + "\"]") : null;
    if (input) {
      var note = document.createElement("span");
      note.className = "field-error";
      note.textContent = [].concat(result.fields[fields[0]]).join(" ");
      input.closest("label").classList.add("invalid");
      input.closest("label").appendChild(note);
    } else {
      Planner.message(labels.could_not_load + " — " + text, "error");
    }
  }

  var sources = {summary: url("summary"), expiring: url("expiring",
    {months: root.dataset.expiringMonths})};
  Object.keys(TABLES).forEach(function (name) {
    if (!sources[name]) { sources[name] = url(TABLES[name][0]); }
  });
  // The funnel is there only for a signed-in planner: the page names its request then alone.
  var funnel = document.getElementById("funnel");
  if (funnel) { sources.funnel = funnel.dataset.source; }
  var names = Object.keys(sources);
  Promise.all(names.map(function (n) { return Planner.fetchJSON(sources[n]); }))
    .then(function (answers) {
      var got = {};
      answers.forEach(function (answer, i) {
        if (answer.ok) { got[names[i]] = answer.data; } else { refused(answer); }
      });
      function rows(name) { return got[name] ? got[name].results : null; }
      if (got.summary) { drawSummary(got.summary); }
      if (rows("byYear")) { drawByYear(rows("byYear"), rows("targets")); }
      if (rows("byGroup")) {
        drawBars("chart-by-group", rows("byGroup"), function (r) {
          return labels["category_" + r.category] || r.label;
        }, true);
      }
      if (rows("byStars")) {
        drawBars("chart-by-stars", rows("byStars"), function (r) {
          return STARS[r.star_class] || r.star_class;
        });
      }
      if (rows("expiring")) { drawExpiring(rows("expiring")); }
      Object.keys(TABLES).forEach(function (name) { if (got[name]) { addTable(name, got[name]); } });
      if (got.funnel) { drawFunnel(got.funnel); }
      document.body.dataset.ready = "1";
    });
})();
