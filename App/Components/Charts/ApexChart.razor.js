// Interop of ApexChart.razor: the chart module (built from wwwroot-assets/src/charts.js into
// wwwroot/lib/charts) does the drawing; this file is what the component imports.
import { draw as drawChart, destroy as destroyChart } from '../../lib/charts/charts.js';

export function draw(element, spec) {
  return drawChart(element, spec);
}

export function destroy(element) {
  destroyChart(element);
}
