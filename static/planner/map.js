/* The coverage map: Việt Nam's provinces as an offline base, areas coloured by coverage, the
   supply with its radius, the ranked gaps and the proposed sites, each also listed beside the map
   (a row focuses the map on its place), and the coverage before and after the proposed sites.
   No tiles by default, so the page works with no internet and sends nothing out. */
(function () {
  "use strict";
  var root = document.getElementById("planner-map");
  var source = root.dataset;
  var labels = JSON.parse(document.getElementById("planner-labels").textContent);
  var format = Planner.formats(document.documentElement.lang);
  // Machine text from the server ('.' decimal point); never a localized display value.
  var radiusKm = Number(source.radiusKm);
  var HANOI = [21.03, 105.85];
  var COLOURS = {covered: "#1a9850", near: "#fdae61", far: "#d73027", unknown: "#9e9e9e"};
  var PROVINCE_LABELS_FROM_ZOOM = 7;
  var COMMUNE_LABELS_FROM_ZOOM = 11;

  var map = L.map("map", {zoomSnap: 0.25}).setView(HANOI, 9);
  map.createPane("boundaries").style.zIndex = 250;
  var base = L.featureGroup().addTo(map);
  var provinceNames = L.featureGroup();
  var communeNames = L.featureGroup();
  var areas = L.featureGroup().addTo(map);
  var radii = L.featureGroup().addTo(map);
  var facilities = L.featureGroup().addTo(map);
  var gaps = L.featureGroup().addTo(map);
  var sites = L.featureGroup().addTo(map);
  var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors"
  });
  var overlays = {};
  overlays[labels.provinces] = base;
  overlays[labels.province_names] = provinceNames;
  overlays[labels.communes] = communeNames;
  overlays[labels.areas] = areas;
  overlays[labels.radius] = radii;
  overlays[labels.facilities] = facilities;
  overlays[labels.gaps] = gaps;
  overlays[labels.sites] = sites;
  overlays[labels.tiles] = tiles;
  L.control.layers(null, overlays, {collapsed: window.innerWidth < 700}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);

  /* Names appear only from a zoom where they no longer cover one another; the layers control
     says whether the planner wants them at all. */
  provinceNames.addTo(map);
  communeNames.addTo(map);
  function showNames() {
    var zoom = map.getZoom(), classes = map.getContainer().classList;
    classes.toggle("hide-province-names", zoom < PROVINCE_LABELS_FROM_ZOOM);
    classes.toggle("hide-commune-names", zoom < COMMUNE_LABELS_FROM_ZOOM);
  }
  map.on("zoomend", showNames);
  showNames();

  function nameLabel(at, text, className) {
    return L.marker(at, {
      interactive: false, keyboard: false,
      icon: L.divIcon({className: className, html: Planner.escapeHTML(text), iconSize: null})
    });
  }

  function drawBoundaries(data) {
    L.geoJSON(data, {
      pane: "boundaries",
      interactive: false,
      style: function (feature) {
        return feature.properties.kind === "country"
          ? {color: "#6b6b6b", weight: 1.5, fillColor: "#f3f0e8", fillOpacity: 1,
            className: "boundary-country"}
          : {color: "#9a9a9a", weight: 0.8, fill: false, className: "boundary-province"};
      }
    }).addTo(base);
    features(data).forEach(function (feature) {
      var p = feature.properties;
      if (p.kind === "province" && p.name && p.label_at) {
        nameLabel([p.label_at[1], p.label_at[0]], p.name, "province-label").addTo(provinceNames);
      }
    });
    showNames();
  }

  function setText(id, value) {
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

  var POPUP_FIELDS = ["name", "population", "uncovered_population", "producers_uncovered",
    "nearest_facility_name", "distance_km", "covered", "marginal_population",
    "marginal_producers", "kind"];
  var POPUP_LABELS = {nearest_facility_name: labels.nearest};
  function popup(props) {
    var rows = POPUP_FIELDS.filter(function (key) {
      return props[key] !== undefined && props[key] !== null;
    }).map(function (key) {
      var value = props[key];
      if (typeof value === "boolean") { value = value ? labels.yes : labels.no; }
      else if (typeof value === "number") {
        value = key === "distance_km" ? format.decimal(value) : format.integer(value);
      }
      return "<tr><th>" + Planner.escapeHTML(POPUP_LABELS[key] || labels[key] || key) +
        "</th><td>" + Planner.escapeHTML(value) + "</td></tr>";
    });
    return "<table class=\"popup\">" + rows.join("") + "</table>";
  }

  var byCode = {areas: {}, gaps: {}, sites: {}};
  var areaFeatures = [];

  function drawAreas(data) {
    areaFeatures = features(data);
    areaFeatures.forEach(function (feature) {
      var at = latLngOf(feature);
      if (!at) { return; }
      var props = feature.properties || {};
      var kind = coverageClass(props);
      var marker = L.circleMarker(at, {
        radius: 6, weight: 1, color: "#333", fillColor: COLOURS[kind], fillOpacity: 0.8,
        className: "area-marker area-" + kind
      }).bindPopup(popup(props)).addTo(areas);
      byCode.areas[props.code] = marker;
      if (props.name) { nameLabel(at, props.name, "commune-label").addTo(communeNames); }
    });
    var summary = data.summary || {};
    setText("population-share", format.share(summary.population_share));
    setText("producer-share", format.share(summary.producers_share));
    document.body.dataset.analysisRadiusKm = String(data.radius_km);
    return areaFeatures.length;
  }

  function drawFacilities(data) {
    var count = 0;
    features(data).forEach(function (feature) {
      var at = latLngOf(feature);
      if (!at) { return; }
      L.circle(at, {
        radius: radiusKm * 1000, weight: 1, color: "#2166ac", fillOpacity: 0.06,
        interactive: false, className: "sales-point-radius"
      }).addTo(radii);
      L.circleMarker(at, {
        radius: 5, weight: 2, color: "#fff", fillColor: "#2166ac", fillOpacity: 1,
        className: "sales-point-marker"
      }).bindPopup(popup(feature.properties || {})).addTo(facilities);
      count += 1;
    });
    if (data && data.truncated) { Planner.message(labels.partial, "warning"); }
    return count;
  }

  function focus(layer) {
    if (!layer) { return; }
    map.setView(layer.getLatLng(), Math.max(map.getZoom(), 12), {animate: false});
    layer.openPopup();
    document.getElementById("map").scrollIntoView({block: "nearest"});
  }

  function focusButton(text, group, code) {
    return "<button type=\"button\" class=\"focus\" data-group=\"" + group + "\" data-code=\"" +
      Planner.escapeHTML(code) + "\">" + Planner.escapeHTML(text) + "</button>";
  }

  document.querySelector(".lists").addEventListener("click", function (event) {
    var button = event.target.closest("button.focus");
    if (button) { focus(byCode[button.dataset.group][button.dataset.code]); }
  });

  function fillRows(id, rows) {
    var body = document.querySelector("#" + id + " tbody");
    body.innerHTML = rows.length ? rows.join("") :
      "<tr><td class=\"empty\" colspan=\"5\">" + Planner.escapeHTML(labels.none) + "</td></tr>";
  }

  function marked(feature, className, text, layer, group) {
    var at = latLngOf(feature);
    if (!at) { return null; }
    var props = feature.properties || {};
    var marker = L.marker(at, {
      icon: L.divIcon({className: className, html: Planner.escapeHTML(text), iconSize: [22, 22]}),
      keyboard: false
    }).bindPopup(popup(props)).bindTooltip(Planner.escapeHTML(props.name || props.code), {
      permanent: true, direction: "right", offset: [10, 0], className: className + "-name"
    }).addTo(layer);
    byCode[group][props.code] = marker;
    return marker;
  }

  function drawGaps(data) {
    var rows = [];
    features(data).forEach(function (feature) {
      var p = feature.properties || {};
      marked(feature, "gap-marker", String(p.rank), gaps, "gaps");
      rows.push("<tr data-code=\"" + Planner.escapeHTML(p.code) + "\"><td class=\"num\">" +
        format.integer(p.rank) + "</td><td>" + focusButton(p.name || p.code, "gaps", p.code) +
        "</td><td class=\"num\">" + format.integer(p.uncovered_population) +
        "</td><td class=\"num\">" + format.integer(p.producers_uncovered) +
        "</td><td class=\"num\">" + format.decimal(p.distance_km) + "</td></tr>");
    });
    fillRows("gaps-list", rows);
    setText("gaps-shown", format.integer(rows.length));
    return typeof data.total === "number" ? data.total : rows.length;
  }

  function drawSites(data) {
    var rows = [];
    features(data).forEach(function (feature) {
      var p = feature.properties || {};
      marked(feature, "site-marker", String(p.rank), sites, "sites");
      rows.push("<tr data-code=\"" + Planner.escapeHTML(p.code) + "\"><td class=\"num\">" +
        format.integer(p.rank) + "</td><td>" + focusButton(p.name || p.code, "sites", p.code) +
        "</td><td class=\"num\">" + format.integer(p.marginal_population) +
        "</td><td class=\"num\">" + format.integer(p.marginal_producers) + "</td></tr>");
    });
    fillRows("sites-list", rows);
    compare(data, features(data));
    return rows.length;
  }

  /* Before and after from the siting answer; the areas that change are those not covered now
     that lie within the radius of a proposed site (the circles the map draws). */
  function compare(data, chosen) {
    var before = data.before || {}, after = data.after || {};
    var rows = [
      [labels.population_share, before.population_share, after.population_share, format.share],
      [labels.producer_share, before.producers_share, after.producers_share, format.share],
      [labels.population_covered, before.population_covered, after.population_covered,
        format.integer],
      [labels.producers_covered, before.producers_covered, after.producers_covered, format.integer]
    ].map(function (row) {
      var change = typeof row[1] === "number" && typeof row[2] === "number" ? row[2] - row[1] : null;
      var shown = change === null ? "" : (change > 0 ? "+" : "") + row[3](change);
      return "<tr><th>" + Planner.escapeHTML(row[0]) + "</th><td class=\"num\">" +
        row[3](row[1]) + "</td><td class=\"num\">" + row[3](row[2]) +
        "</td><td class=\"num\">" + shown + "</td></tr>";
    });
    document.querySelector("#compare-table tbody").innerHTML = rows.join("");
    var changed = [];
    areaFeatures.forEach(function (feature) {
      var p = feature.properties || {}, at = latLngOf(feature);
      if (!at || p.covered !== false) { return; }
      var by = chosen.filter(function (site) {
        var where = latLngOf(site);
        return where && map.distance(where, at) <= radiusKm * 1000;
      })[0];
      if (by) { changed.push({area: p, site: by.properties}); }
    });
    changed.sort(function (a, b) { return (b.area.population || 0) - (a.area.population || 0); });
    fillRows("changed-list", changed.map(function (item) {
      return "<tr data-code=\"" + Planner.escapeHTML(item.area.code) + "\"><td>" +
        focusButton(item.area.name || item.area.code, "areas", item.area.code) +
        "</td><td class=\"num\">" + format.integer(item.area.population) +
        "</td><td class=\"num\">" + format.integer(item.area.producers_uncovered) +
        "</td><td>" + Planner.escapeHTML(item.site.rank + ". " + item.site.name) + "</td></tr>";
    }));
    setText("changed-count", format.integer(changed.length));
  }

  function failed(label, result) {
    Planner.message(label + ": " + labels.could_not_load + " — " + Planner.errorText(result),
      "error");
  }

  function sitesAsFeatures(answer) {
    var collection = {type: "FeatureCollection", before: answer.before, after: answer.after};
    collection.features = (answer.sites || []).filter(function (site) {
      return typeof site.lat === "number" && typeof site.lon === "number";
    }).map(function (site) {
      return {type: "Feature", geometry: {type: "Point", coordinates: [site.lon, site.lat]},
        properties: site};
    });
    return collection;
  }

  /* A large siting run goes to the job queue (HTTP 202 with a status_url): poll it, a second
     apart, until it is done, failed, or two minutes have passed. */
  function awaitSiting(result) {
    if (!result.ok || !result.data || !result.data.status_url) { return Promise.resolve(result); }
    var started = Date.now();
    Planner.message(labels.computing, "info");
    return new Promise(function (resolve) {
      function poll() {
        Planner.fetchJSON(result.data.status_url).then(function (answer) {
          var body = answer.data || {};
          if (!answer.ok) { resolve(answer); return; }
          if (body.result && body.result.sites) {
            resolve({ok: true, data: sitesAsFeatures(body.result)});
          } else if (/fail|error|stopped|canceled/i.test(String(body.status))) {
            resolve({ok: false, error: "job " + body.status});
          } else if (Date.now() - started > 120000) {
            resolve({ok: false, error: labels.still_running});
          } else {
            setTimeout(poll, 1000);
          }
        });
      }
      poll();
    });
  }

  function setDownloads(sitesUrl) {
    document.querySelectorAll("#sites-section a.download").forEach(function (link) {
      var url = new URL(sitesUrl);
      url.searchParams.set("format", link.dataset.format);
      link.href = url.pathname + url.search;
    });
  }

  var boundariesLoaded = Planner.fetchJSON(source.boundaries).then(function (result) {
    if (result.ok) { drawBoundaries(result.data); } else { failed(labels.provinces, result); }
  });

  if (source.valid !== "1") {
    boundariesLoaded.then(function () {
      map.setView([16, 106], 5, {animate: false});
      document.body.dataset.ready = "1";
    });
    return;
  }

  var areasLoaded = Planner.fetchJSON(source.areasSource).then(function (result) {
    if (result.ok) { setText("area-count", format.integer(drawAreas(result.data))); }
    else { setText("area-count", null); failed(labels.areas, result); }
    return result;
  });

  /* Siting refuses more sites than there are candidate areas, so K is capped by the number of
     located areas the coverage answer holds; without areas there is nothing to site. The gaps
     are drawn first so that the comparison finds the areas in place. */
  var sitesLoaded = areasLoaded.then(function (areaResult) {
    var candidates = areaResult.ok ? features(areaResult.data).filter(latLngOf).length : 0;
    var wanted = parseInt(source.sitesK, 10) || 10;
    if (!candidates) {
      setText("site-count", 0);
      fillRows("sites-list", []);
      return null;
    }
    var url = new URL(source.sitesSource, window.location.href);
    url.searchParams.set("k", String(Math.min(wanted, candidates)));
    setDownloads(url.toString());
    return Planner.fetchJSON(url.toString()).then(awaitSiting).then(function (result) {
      if (result.ok) { setText("site-count", format.integer(drawSites(result.data))); }
      else { setText("site-count", null); failed(labels.sites, result); }
    });
  });

  var facilitySources = (source.facilitySources || "").split(" ").filter(Boolean);
  var facilitiesLoaded = Promise.all(facilitySources.map(Planner.fetchJSON)).then(function (all) {
    var count = 0, broken = false;
    all.forEach(function (result) {
      if (result.ok) { count += drawFacilities(result.data); }
      else { broken = true; failed(labels.facilities, result); }
    });
    setText("sales-point-count", broken ? null : format.integer(count));
  });

  var gapsLoaded = Planner.fetchJSON(source.gapsSource).then(function (result) {
    if (result.ok) { setText("gap-count", format.integer(drawGaps(result.data))); }
    else { setText("gap-count", null); failed(labels.gaps, result); }
  });

  Promise.all([boundariesLoaded, areasLoaded, sitesLoaded, facilitiesLoaded, gapsLoaded])
    .then(function () {
      var bounds = L.featureGroup([areas, facilities, gaps, sites]).getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds.pad(0.05), {maxZoom: 13, animate: false}); }
      showNames();
      window.PlannerMap = {map: map, radii: radii};
      document.body.dataset.ready = "1";
    });
})();
