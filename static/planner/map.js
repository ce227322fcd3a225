/* The coverage map: areas coloured by coverage, sales points with their radius, gaps, proposed
   sites. No tiles by default, so the page works with no internet and sends nothing out. */
(function () {
  "use strict";
  var root = document.getElementById("planner-map");
  var source = root.dataset;
  var radiusKm = parseFloat(source.radiusKm) || 5;
  var HANOI = [21.03, 105.85];
  var COLOURS = {covered: "#1a9850", near: "#fdae61", far: "#d73027", unknown: "#9e9e9e"};

  var map = L.map("map", {zoomSnap: 0.25, preferCanvas: false}).setView(HANOI, 9);
  var areas = L.featureGroup().addTo(map);
  var radii = L.featureGroup().addTo(map);
  var salesPoints = L.featureGroup().addTo(map);
  var gaps = L.featureGroup().addTo(map);
  var sites = L.featureGroup().addTo(map);
  var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors"
  });
  L.control.layers(null, {
    "Địa bàn (areas)": areas,
    "Bán kính phục vụ (radius)": radii,
    "Điểm bán (sales points)": salesPoints,
    "Vùng trống (gaps)": gaps,
    "Địa điểm đề xuất (proposed sites)": sites,
    "OpenStreetMap (trực tuyến / online)": tiles
  }, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);

  function setCount(id, value) {
    document.getElementById(id).textContent = value === null ? "—" : String(value);
  }

  function coverageClass(props) {
    if (props.covered === true) { return "covered"; }
    var distance = props.distance_km;
    if (typeof distance !== "number") { return "unknown"; }
    return distance <= 2 * radiusKm ? "near" : "far";
  }

  function latLngOf(feature) {
    var g = feature && feature.geometry;
    if (!g || g.type !== "Point" || !Array.isArray(g.coordinates)) { return null; }
    // GeoJSON positions are [longitude, latitude].
    return L.latLng(g.coordinates[1], g.coordinates[0]);
  }

  function features(data) {
    return data && Array.isArray(data.features) ? data.features : [];
  }

  function drawAreas(data) {
    L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        var kind = coverageClass(feature.properties || {});
        return L.circleMarker(latlng, {
          radius: 7, weight: 1, color: "#333", fillColor: COLOURS[kind], fillOpacity: 0.8,
          className: "area-marker area-" + kind
        });
      },
      style: function (feature) {
        var kind = coverageClass(feature.properties || {});
        return {color: "#555", weight: 1, fillColor: COLOURS[kind], fillOpacity: 0.5,
          className: "area-shape area-" + kind};
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(Planner.properties(feature.properties));
      }
    }).eachLayer(function (layer) { areas.addLayer(layer); });
    return features(data).length;
  }

  function drawSalesPoints(data) {
    var count = 0;
    features(data).forEach(function (feature) {
      var at = latLngOf(feature);
      if (!at) { return; }
      L.circle(at, {
        radius: radiusKm * 1000, weight: 1, color: "#2166ac", fillOpacity: 0.08,
        interactive: false, className: "sales-point-radius"
      }).addTo(radii);
      L.circleMarker(at, {
        radius: 5, weight: 2, color: "#fff", fillColor: "#2166ac", fillOpacity: 1,
        className: "sales-point-marker"
      }).bindPopup(Planner.properties(feature.properties)).addTo(salesPoints);
      count += 1;
    });
    if (data && data.truncated) {
      Planner.message("Chỉ hiện một phần điểm bán (only part of the sales points is shown).",
        "warning");
    }
    return count;
  }

  function drawPoints(data, layer, className, label) {
    var count = 0;
    features(data).forEach(function (feature, position) {
      var at = latLngOf(feature);
      if (!at) { return; }
      var icon = L.divIcon({
        className: className,
        html: label ? String((feature.properties && feature.properties.rank) || position + 1) : "",
        iconSize: [20, 20]
      });
      L.marker(at, {icon: icon, keyboard: false})
        .bindPopup(Planner.properties(feature.properties)).addTo(layer);
      count += 1;
    });
    return count;
  }

  function show(job, result) {
    if (!result.ok) {
      setCount(job.count, null);
      Planner.message(job.label + ": không tải được (could not load) — " + result.error, "error");
      document.body.dataset["failed_" + job.name] = "1";
      return;
    }
    setCount(job.count, job.draw(result.data));
  }

  function sitesAsFeatures(sitesList) {
    return {type: "FeatureCollection", features: (sitesList || []).filter(function (site) {
      return typeof site.lat === "number" && typeof site.lon === "number";
    }).map(function (site) {
      return {type: "Feature", geometry: {type: "Point", coordinates: [site.lon, site.lat]},
        properties: site};
    })};
  }

  /* A large siting run goes to the job queue (HTTP 202 with a status_url): poll it, a second
     apart, until it is done, failed, or two minutes have passed. */
  function awaitSiting(result) {
    if (!result.ok || !result.data || !result.data.status_url) { return Promise.resolve(result); }
    var started = Date.now();
    Planner.message("Đang tính địa điểm đề xuất (proposed sites are being computed)…", "info");
    return new Promise(function (resolve) {
      function poll() {
        Planner.fetchJSON(result.data.status_url).then(function (answer) {
          var body = answer.data || {};
          if (!answer.ok) { resolve(answer); return; }
          if (body.result && body.result.sites) {
            resolve({ok: true, data: sitesAsFeatures(body.result.sites)});
          } else if (/fail|error|stopped|canceled/i.test(String(body.status))) {
            resolve({ok: false, error: "job " + body.status});
          } else if (Date.now() - started > 120000) {
            resolve({ok: false, error: "still running; reload the page later"});
          } else {
            setTimeout(poll, 1000);
          }
        });
      }
      poll();
    });
  }

  var jobs = {
    areas: {name: "areas", count: "area-count", label: "Độ phủ địa bàn (area coverage)",
      draw: drawAreas},
    salesPoints: {name: "sales_points", count: "sales-point-count",
      label: "Điểm bán (sales points)", draw: drawSalesPoints},
    gaps: {name: "gaps", count: "gap-count", label: "Vùng trống (gaps)",
      draw: function (d) { return drawPoints(d, gaps, "gap-marker"); }},
    sites: {name: "sites", count: "site-count", label: "Địa điểm đề xuất (proposed sites)",
      draw: function (d) { return drawPoints(d, sites, "site-marker", true); }}
  };

  var areasLoaded = Planner.fetchJSON(source.areasSource).then(function (result) {
    show(jobs.areas, result);
    return result;
  });

  /* Siting refuses more sites than there are candidate areas, so K is capped by the number of
     located areas the coverage answer holds; without areas there is nothing to site. */
  var sitesLoaded = areasLoaded.then(function (areaResult) {
    var candidates = areaResult.ok ? features(areaResult.data).filter(latLngOf).length : 0;
    var wanted = parseInt(source.sitesK, 10) || 10;
    if (!candidates) {
      setCount(jobs.sites.count, 0);
      return null;
    }
    var url = new URL(source.sitesSource, window.location.href);
    url.searchParams.set("k", String(Math.min(wanted, candidates)));
    return Planner.fetchJSON(url.toString()).then(awaitSiting).then(function (result) {
      show(jobs.sites, result);
    });
  });

  Promise.all([
    areasLoaded,
    sitesLoaded,
    Planner.fetchJSON(source.salesPointsSource).then(function (r) { show(jobs.salesPoints, r); }),
    Planner.fetchJSON(source.gapsSource).then(function (r) { show(jobs.gaps, r); })
  ]).then(function () {
    var bounds = L.featureGroup([areas, salesPoints, gaps, sites]).getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.1), {maxZoom: 13}); }
    document.body.dataset.ready = "1";
  });
})();
