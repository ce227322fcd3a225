/* The statistics page: headline figures, charts and tables from the statistics API. */
(function () {
  "use strict";
  var root = document.getElementById("statistics");
  var base = root.dataset.base;
  var query = new URLSearchParams(window.location.search);
  var STAR_LABELS = {"5": "5 sao", "potential_5": "Tiềm năng 5 sao", "4": "4 sao", "3": "3 sao"};
  var PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"];

  ["as_of", "basis", "target"].forEach(function (name) {
    var input = document.querySelector('[name="' + name + '"]');
    if (query.get(name)) { input.value = query.get(name); }
  });

  function params(extra) {
    var out = new URLSearchParams();
    ["as_of", "basis", "target"].forEach(function (name) {
      if (query.get(name)) { out.set(name, query.get(name)); }
    });
    Object.keys(extra || {}).forEach(function (k) { out.set(k, extra[k]); });
    return out.toString();
  }

  function url(name, extra) {
    var qs = params(extra);
    return base + name + "/" + (qs ? "?" + qs : "");
  }

  document.querySelectorAll("a.download").forEach(function (link) {
    var format = link.textContent.trim().toLowerCase();
    link.href = url(link.dataset.table, {format: format});
  });

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  function chart(id, config) {
    return new Chart(document.getElementById(id), config);
  }

  var SUMMARY_LABELS = {
    certified: "Sản phẩm đạt 3–5 sao (rated 3–5 stars)",
    valid: "Còn hiệu lực (valid)",
    producers: "Chủ thể (producers)",
    below_3: "Dưới 3 sao, không xếp hạng OCOP (below 3 stars, not certified)",
    expiring: "Sắp hết hạn (expiring soon)",
    rated_this_year: "Đánh giá trong năm (rated this year)",
    target: "Chỉ tiêu năm (yearly target)"
  };

  function drawSummary(data) {
    var list = document.getElementById("summary");
    Object.keys(SUMMARY_LABELS).forEach(function (key) {
      var dt = document.createElement("dt");
      dt.textContent = SUMMARY_LABELS[key];
      var dd = document.createElement("dd");
      dd.textContent = Planner.formatValue(data[key]);
      dd.id = "summary-" + key;
      list.appendChild(dt);
      list.appendChild(dd);
    });
  }

  function drawByYear(years, targets) {
    var byYear = {};
    (targets || []).forEach(function (row) { byYear[row.year] = row.target; });
    chart("chart-by-year", {
      data: {
        labels: years.map(function (r) { return String(r.year); }),
        datasets: [
          {type: "bar", label: "Đánh giá trong năm (rated)", backgroundColor: PALETTE[0],
            data: years.map(function (r) { return r.rated; })},
          {type: "line", label: "Chỉ tiêu (target)", borderColor: PALETTE[1], pointRadius: 2,
            data: years.map(function (r) { return byYear[r.year] === undefined ? null : byYear[r.year]; })},
          {type: "line", label: "Còn hiệu lực cuối năm (valid at year end)", borderColor: PALETTE[2],
            borderDash: [4, 4], pointRadius: 2,
            data: years.map(function (r) { return r.valid_at_year_end; })}
        ]
      }
    });
  }

  function drawBars(id, rows, key, labelOf, horizontal) {
    chart(id, {
      type: "bar",
      data: {
        labels: rows.map(labelOf),
        datasets: [{label: "Sản phẩm (products)", backgroundColor: PALETTE,
          data: rows.map(function (r) { return r[key]; })}]
      },
      options: {indexAxis: horizontal ? "y" : "x", plugins: {legend: {display: false}}}
    });
  }

  function drawExpiring(rows) {
    var months = {};
    rows.forEach(function (r) {
      var month = String(r.rating_expires_on).slice(0, 7);
      months[month] = (months[month] || 0) + 1;
    });
    var labels = Object.keys(months).sort();
    chart("chart-expiring", {
      type: "bar",
      data: {labels: labels, datasets: [{label: "Hết hạn (expiring)", backgroundColor: PALETTE[3],
        data: labels.map(function (m) { return months[m]; })}]},
      options: {plugins: {legend: {display: false}}}
    });
  }

  var tables = document.getElementById("tables");
  function addTable(answer, caption) {
    tables.appendChild(Planner.table(answer.results, caption, answer.columns));
  }

  var sources = {
    summary: url("summary"),
    byYear: url("by-year"),
    targets: url("targets"),
    byGroup: url("by-group"),
    byStars: url("by-stars"),
    byKind: url("by-producer-kind"),
    byArea: url("by-area"),
    expiring: url("expiring", {months: 6})
  };
  var names = Object.keys(sources);
  Promise.all(names.map(function (n) { return Planner.fetchJSON(sources[n]); }))
    .then(function (answers) {
      var got = {};
      answers.forEach(function (answer, i) {
        if (answer.ok) {
          got[names[i]] = answer.data;
        } else {
          Planner.message(names[i] + ": không tải được (could not load) — " + answer.error, "error");
        }
      });
      function rows(name) { return got[name] ? got[name].results : null; }
      if (got.summary) { drawSummary(got.summary); }
      if (rows("byYear")) {
        drawByYear(rows("byYear"), rows("targets"));
        addTable(got.byYear, "Theo năm (by year)");
      }
      if (rows("targets")) { addTable(got.targets, "So với chỉ tiêu (against target)"); }
      if (rows("byGroup")) {
        drawBars("chart-by-group", rows("byGroup"), "products", function (r) { return r.label; }, true);
        addTable(got.byGroup, "Theo nhóm sản phẩm (by product group)");
      }
      if (rows("byStars")) {
        drawBars("chart-by-stars", rows("byStars"), "products",
          function (r) { return STAR_LABELS[r.star_class] || r.star_class; });
        addTable(got.byStars, "Theo hạng sao (by stars)");
      }
      if (rows("byKind")) { addTable(got.byKind, "Theo loại chủ thể (by producer kind)"); }
      if (rows("byArea")) { addTable(got.byArea, "Theo địa bàn (by area)"); }
      if (rows("expiring")) {
        drawExpiring(rows("expiring"));
        addTable(got.expiring, "Sắp hết hạn trong 6 tháng (expiring within 6 months)");
      }
      document.body.dataset.ready = "1";
    });
})();
