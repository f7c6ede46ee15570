// zhiben's own script: the form token on htmx requests, and the charts (data from JSON blocks, no inline script).
"use strict";

document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) event.detail.headers["X-CSRF-Token"] = meta.content;
});

const RISK_COLOURS = { red: "#d7263d", orange: "#f46036", yellow: "#e2c044", blue: "#2e86ab" };

function chartData(element) {
  const source = document.getElementById(element.dataset.source);
  return source ? JSON.parse(source.textContent) : {};
}

function trendChart(element, data) {
  const chart = echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [data.trend.labels.reported, data.trend.labels.closed] },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.trend.months },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: data.trend.labels.reported, type: "line", data: data.trend.reported, color: "#d7263d" },
      { name: data.trend.labels.closed, type: "line", data: data.trend.closed, color: "#2e7d32" },
    ],
  });
  return chart;
}

function barsChart(element, data) {
  const chart = echarts.init(element);
  const bars = data.bars;
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [bars.labels.open, bars.labels.overdue] },
    grid: { left: 40, right: 16, top: 36, bottom: 60 },
    xAxis: { type: "category", data: bars.names, axisLabel: { rotate: 30 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: bars.labels.open, type: "bar", data: bars.open, color: "#f46036" },
      { name: bars.labels.overdue, type: "bar", data: bars.overdue, color: "#d7263d" },
    ],
  });
  if (bars.drill) chart.on("click", (params) => { window.location.href = bars.drill + bars.codes[params.dataIndex]; });
  return chart;
}

async function mapChart(element, data) {
  const response = await fetch(element.dataset.geo);
  const geo = await response.json();
  echarts.registerMap("china", geo);
  const map = data.map;
  const byName = {};
  const items = geo.features.map((feature) => {
    const code = feature.properties.code;
    byName[feature.properties.name] = code;
    return { name: feature.properties.name, value: map.values[code] || 0, red: map.red[code] || 0 };
  });
  const max = Math.max(1, ...items.map((item) => item.value));
  const chart = echarts.init(element);
  chart.setOption({
    tooltip: {
      trigger: "item",
      formatter: (p) => `${p.name}<br>${map.label}: ${p.value || 0}`,
    },
    visualMap: { min: 0, max: max, left: 8, bottom: 8, calculable: true, inRange: { color: ["#fff5eb", "#fdae6b", "#d7263d"] } },
    series: [{ type: "map", map: "china", roam: false, data: items, emphasis: { label: { show: true } } }],
  });
  chart.on("click", (params) => {
    const code = byName[params.name];
    if (code) window.location.href = map.drill + code;
  });
  return chart;
}

function riskPieChart(element, data) {
  const pie = data.pie;
  const items = pie.items.filter((item) => item.value > 0);
  const chart = echarts.init(element);
  const option = {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    legend: { top: 0, type: "scroll", data: items.map((item) => item.label) },
    series: [{
      type: "pie",
      radius: ["35%", "62%"],
      center: ["50%", "58%"],
      label: { formatter: "{c}" },
      data: items.map((item) => ({ name: item.label, value: item.value, itemStyle: { color: RISK_COLOURS[item.colour] } })),
    }],
  };
  if (!items.length) option.title = { text: pie.empty, left: "center", top: "middle", textStyle: { fontSize: 14, color: "#5f6b7a" } };
  chart.setOption(option);
  return chart;
}

const CHARTS = { trend: trendChart, bars: barsChart, map: mapChart, riskpie: riskPieChart };

async function drawCharts(root) {
  if (typeof echarts === "undefined") return;
  for (const element of root.querySelectorAll("[data-chart]")) {
    if (element.dataset.drawn) continue;
    element.dataset.drawn = "1";
    const draw = CHARTS[element.dataset.chart];
    if (!draw) continue;
    const chart = await draw(element, chartData(element));
    element.dataset.ready = "1";
    window.addEventListener("resize", () => chart.resize());
  }
}

document.addEventListener("DOMContentLoaded", () => { drawCharts(document); });
