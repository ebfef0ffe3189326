// Maps of raw-material areas (web/map.rs): each `.area-map` draws the GeoJSON of its
// `data-areas` with Leaflet, coloured by status, fitted to its polygons, with a scale bar; on
// the operator's tiles (`data-tiles`) or, without them, on a plain background with a graticule.
(function () {
  'use strict';
  var COLOURS = { counting: '#0969da', verified: '#1a7f37', submitted: '#b35900', other: '#6e7781' };
  var STEPS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

  // Lines of latitude and longitude about eight to a view, redrawn as the view moves.
  function graticule(map) {
    var lines = L.layerGroup().addTo(map);
    function draw() {
      lines.clearLayers();
      var b = map.getBounds();
      var span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
      var step = STEPS.find(function (s) { return span / s <= 8; }) || 5;
      var style = { color: '#c8ccd0', weight: 1, interactive: false, className: 'graticule' };
      for (var x = Math.floor(b.getWest() / step) * step; x <= b.getEast(); x += step) {
        lines.addLayer(L.polyline([[b.getSouth(), x], [b.getNorth(), x]], style));
      }
      for (var y = Math.floor(b.getSouth() / step) * step; y <= b.getNorth(); y += step) {
        lines.addLayer(L.polyline([[y, b.getWest()], [y, b.getEast()]], style));
      }
    }
    map.on('moveend', draw);
    draw();
  }

  document.querySelectorAll('.area-map').forEach(function (figure) {
    var data = JSON.parse(figure.dataset.areas);
    var canvas = figure.querySelector('.map-canvas');
    var tiles = figure.dataset.tiles;
    var map = L.map(canvas, { attributionControl: !!tiles, zoomControl: false });
    // Leaflet's own buttons say "Zoom in" / "Zoom out": the page gives their words.
    L.control.zoom({
      zoomInTitle: figure.dataset.zoomIn || 'Zoom in',
      zoomOutTitle: figure.dataset.zoomOut || 'Zoom out'
    }).addTo(map);
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: figure.dataset.attribution || '' }).addTo(map);
    }
    var areas = L.geoJSON(data, {
      style: function (f) {
        var c = COLOURS[f.properties.status] || COLOURS.other;
        return { color: c, weight: 2, fillColor: c, fillOpacity: 0.3, className: 'area ' + f.properties.status };
      },
      pointToLayer: function (f, at) { return L.circleMarker(at, { radius: 7 }); },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.label); }
    }).addTo(map);
    map.fitBounds(areas.getBounds(), { padding: [20, 20], maxZoom: 17 });
    L.control.scale({ imperial: false }).addTo(map);
    if (!tiles) { graticule(map); }
    // An area a few hectares wide on a province's map is under a pixel: a dot of its colour
    // marks it until the map is zoomed in far enough to draw it.
    var dots = L.layerGroup().addTo(map);
    function markSmall() {
      dots.clearLayers();
      areas.eachLayer(function (layer) {
        if (layer instanceof L.CircleMarker || !layer.getBounds) { return; }
        var b = layer.getBounds();
        var ne = map.latLngToLayerPoint(b.getNorthEast());
        var sw = map.latLngToLayerPoint(b.getSouthWest());
        if (Math.max(Math.abs(ne.x - sw.x), Math.abs(ne.y - sw.y)) >= 8) { return; }
        var status = layer.feature.properties.status;
        var c = COLOURS[status] || COLOURS.other;
        dots.addLayer(L.circleMarker(b.getCenter(), {
          radius: 6, color: c, weight: 2, fillColor: c, fillOpacity: 0.6,
          className: 'area-dot ' + status
        }).bindTooltip(layer.feature.properties.label));
      });
    }
    map.on('zoomend', markSmall);
    markSmall();
    areas.bringToFront();
    figure.dataset.ready = 'true';
  });
})();
