// Draws the program page's charts with uPlot (served from node_modules by the process itself) from
// the page's JSON data block: no inline script, so the Content-Security-Policy stays strict.
/* global uPlot */
const COLOURS = {
  accepted: "#1a7f37",
  duplicate: "#8a6d00",
  rejected: "#c62828",
  unattributed: "#6a3d9a",
  test: "#5b6b7a",
  p50: "#1f5fbf",
  p95: "#b35900",
  p99: "#c62828",
};

function seriesOf(values) {
  return Object.keys(values).map((name) => ({
    label: name,
    stroke: COLOURS[name] ?? "#333",
    width: 2,
    spanGaps: false,
  }));
}

function draw(element) {
  const source = document.getElementById(element.dataset.source);
  if (!source || typeof uPlot === "undefined") return;
  const data = JSON.parse(source.textContent);
  const values = data[element.dataset.chart];
  const zone = element.dataset.zone || "UTC";
  const width = () => Math.max(280, element.clientWidth);
  const chart = new uPlot(
    {
      width: width(),
      height: 260,
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), zone),
      series: [{ label: `time (${zone})` }, ...seriesOf(values)],
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
    },
    [data.x, ...Object.values(values)],
    element,
  );
  window.addEventListener("resize", () => chart.setSize({ width: width(), height: 260 }));
}

for (const element of document.querySelectorAll("[data-chart]")) draw(element);
