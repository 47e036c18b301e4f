// The dashboard's chart module: turns a small chart description sent by the server into ApexCharts
// options, draws it into an element, redraws it in place when the data or the theme changes, and
// destroys it. The library (apexcharts.min.js, pinned in package.json) is loaded once, on first use,
// from this origin, so the content security policy needs no exception for scripts.
//
// A description is { kind, categories, series: [{ name, data, dashed }], dark, height, format, colors }:
//   dashed  true for a series drawn dashed (lines) or lighter (bars), e.g. the previous period
//   kind    'line' | 'area' | 'bar' | 'hbar' | 'sparkline'
//   format  'number' | 'percent' (values are fractions 0..1) | 'seconds'
//   stacked true to stack the series of a bar chart
//   markers [{ index, label, tooltip }]: annotations, a dashed vertical line at category `index`
//           with a short label; hovering or focusing the label shows the tooltip (one change a line)
//
// Categories and series names come from ingested data and from the URL. ApexCharts draws axis and
// data labels as SVG text nodes (markup shows as written), but writes tooltip titles, the x-axis
// tooltip, series names in the tooltip and the legend with innerHTML; every one of those passes
// through a formatter here that escapes the text, so no label can add an element to the page.
// Marker labels are SVG text too, and their tooltips are set with textContent.

let library;

function loadLibrary() {
  if (globalThis.ApexCharts) return Promise.resolve(globalThis.ApexCharts);
  library ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = new URL('../apexcharts/apexcharts.min.js', import.meta.url).href;
    script.async = true;
    script.onload = () => resolve(globalThis.ApexCharts);
    script.onerror = () => { library = undefined; reject(new Error('The chart library could not be loaded.')); };
    document.head.appendChild(script);
  });
  return library;
}

const palette = ['#3f51b5', '#00897b', '#f57c00', '#8e24aa', '#43a047', '#e53935', '#6d4c41', '#546e7a'];
const paletteDark = ['#8c9eff', '#4db6ac', '#ffb74d', '#ce93d8', '#81c784', '#ef9a9a', '#bcaaa4', '#b0bec5'];

function formatter(format) {
  switch (format) {
    case 'percent': return v => v == null ? '–' : `${(v * 100).toFixed(1)}%`;
    case 'seconds': return v => v == null ? '–' : duration(v);
    default: return v => v == null ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: 1 });
  }
}

const htmlEntities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The text as HTML that shows it literally. */
export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, c => htmlEntities[c]);
}

export function duration(seconds) {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86400).toFixed(1)}d`;
}

export function toOptions(spec) {
  const dark = !!spec.dark;
  const format = formatter(spec.format);
  const sparkline = spec.kind === 'sparkline';
  const type = spec.kind === 'hbar' ? 'bar' : sparkline ? 'area' : spec.kind;
  const text = dark ? '#e0e0e0' : '#424242';
  const categories = spec.categories ?? [];
  // Line and column charts turn categories into the numbers 1..n internally, so a tooltip formatter
  // gets that number: the data point's index names the category instead.
  const category = (value, opts) => escapeHtml(categories[opts?.dataPointIndex] ?? value);
  return {
    chart: {
      type,
      height: spec.height ?? (sparkline ? 40 : 300),
      background: 'transparent',
      foreColor: text,
      fontFamily: 'Roboto, Helvetica, Arial, sans-serif',
      toolbar: { show: false },
      zoom: { enabled: false },
      sparkline: { enabled: sparkline },
      animations: { enabled: !sparkline, speed: 300 },
      redrawOnParentResize: true,
      stacked: !!spec.stacked,
    },
    theme: { mode: dark ? 'dark' : 'light' },
    colors: spec.colors?.length ? spec.colors : (dark ? paletteDark : palette),
    series: spec.series.map(s => ({ name: s.name, data: s.data })),
    xaxis: sparkline
      ? { categories, labels: { show: false }, axisBorder: { show: false }, axisTicks: { show: false }, tooltip: { enabled: false } }
      : {
          categories,
          labels: { hideOverlappingLabels: true, rotate: -45, formatter: spec.kind === 'hbar' ? format : undefined },
          tickPlacement: 'on',
          tooltip: { formatter: category },
        },
    yaxis: sparkline
      ? { show: false, min: 0 }
      : spec.kind === 'hbar' ? {} : { labels: { formatter: format }, min: 0, max: spec.format === 'percent' ? 1 : undefined, forceNiceScale: true },
    dataLabels: { enabled: spec.kind === 'hbar', formatter: format },
    plotOptions: { bar: { horizontal: spec.kind === 'hbar', borderRadius: 2, columnWidth: '60%', barHeight: '70%' } },
    stroke: { curve: 'straight', width: type === 'bar' ? 0 : 2, dashArray: spec.series.map(s => (s.dashed ? 6 : 0)) },
    fill: sparkline ? { type: 'solid', opacity: 0.15 }
      : { opacity: type === 'area' ? 0.25 : type === 'bar' ? spec.series.map(s => (s.dashed ? 0.4 : 1)) : 1 },
    markers: { size: sparkline || categories.length > 40 ? 0 : 3 },
    grid: { borderColor: dark ? '#424242' : '#e0e0e0', show: !sparkline },
    legend: { show: !sparkline && spec.series.length > 1, position: 'top', formatter: escapeHtml },
    tooltip: {
      theme: dark ? 'dark' : 'light',
      enabled: true,
      x: { formatter: category },
      y: { formatter: format, title: { formatter: name => name ? `${escapeHtml(name)}: ` : '' } },
    },
    noData: { text: 'No data' },
    annotations: { xaxis: sparkline || spec.kind === 'hbar' ? [] : markerAnnotations(spec, categories, dark) },
  };
}

function markerAnnotations(spec, categories, dark) {
  const colour = dark ? '#ffb74d' : '#e65100';
  return (spec.markers ?? []).filter(m => m.index >= 0 && m.index < categories.length).map(m => ({
    x: categories[m.index],
    borderColor: colour,
    strokeDashArray: 4,
    label: {
      text: m.label,
      orientation: 'horizontal',
      borderColor: colour,
      style: { background: dark ? '#424242' : '#fff3e0', color: dark ? '#ffe0b2' : '#bf360c', fontSize: '11px', cssClass: 'chart-marker-label' },
      mouseEnter: (_, event) => showMarkerTooltip(event, m.tooltip),
      mouseLeave: () => hideMarkerTooltip(),
    },
  }));
}

let markerTooltip;

function showMarkerTooltip(event, text) {
  markerTooltip ??= Object.assign(document.createElement('div'), { className: 'chart-marker-tooltip', role: 'tooltip' });
  markerTooltip.textContent = text;
  markerTooltip.style.left = `${event.pageX + 12}px`;
  markerTooltip.style.top = `${event.pageY + 12}px`;
  document.body.appendChild(markerTooltip);
}

function hideMarkerTooltip() {
  markerTooltip?.remove();
}

const charts = new WeakMap();
const queues = new WeakMap();

// Drawings of one element run one after another: a theme flip that lands while the first
// drawing is still rendering would otherwise destroy a half-drawn chart and leave its pieces.
function enqueue(element, work) {
  const next = (queues.get(element) ?? Promise.resolve()).catch(() => {}).then(work);
  queues.set(element, next);
  return next;
}

/** Draws the description into the element, or redraws the chart already there. */
export function draw(element, spec) {
  return enqueue(element, async () => {
    const ApexCharts = await loadLibrary();
    const options = toOptions(spec);
    const existing = charts.get(element);
    // A theme change recreates the chart: updating the mode in place leaves stray axis labels behind.
    if (existing && existing.kind === spec.kind && existing.dark === !!spec.dark) {
      await existing.chart.updateOptions(options, true, false, false);
      return;
    }
    existing?.chart.destroy();
    element.replaceChildren();
    const chart = new ApexCharts(element, options);
    charts.set(element, { chart, kind: spec.kind, dark: !!spec.dark });
    await chart.render();
  });
}

export function destroy(element) {
  if (!element) return Promise.resolve();
  return enqueue(element, () => {
    const existing = charts.get(element);
    if (!existing) return;
    charts.delete(element);
    existing.chart.destroy();
  });
}
