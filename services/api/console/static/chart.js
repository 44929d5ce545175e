// A list's aggregate as a bar chart, in inline SVG built element by element: each bar's key
// and figure are text nodes, the widths percentages, so the chart fits any width (a phone's
// 375 px included) without scaling its text.

import { svg } from "./dom.js";

const ROW = 44;
const BAR = 14;
const SHOWN = 30;
const LABEL_CHARACTERS = 28;

// `bars`: [{label, value, figure}] in the order to draw them; `summary` names the chart for
// assistive technology (the table beside it has every figure).
export function barChart(bars, summary) {
  const shown = bars.slice(0, SHOWN);
  const largest = Math.max(0, ...shown.map((bar) => Math.abs(bar.value))) || 1;
  const chart = svg("svg", {
    class: "chart",
    width: "100%",
    height: Math.max(ROW, shown.length * ROW),
    role: "img",
    "aria-label": summary,
  });
  shown.forEach((bar, index) => {
    const top = index * ROW;
    const share = (100 * Math.abs(bar.value)) / largest;
    chart.append(
      svg("text", { class: "chart-label", x: 0, y: top + 16 }, shortened(bar.label)),
      svg("text", { class: "chart-figure", x: "100%", y: top + 16, "text-anchor": "end" }, bar.figure),
      svg(
        "rect",
        {
          class: bar.value < 0 ? "bar negative" : "bar",
          x: 0,
          y: top + 22,
          width: `${Math.max(share, 0.5)}%`,
          height: BAR,
          rx: 2,
        },
        svg("title", {}, `${bar.label}: ${bar.figure}`),
      ),
    );
  });
  return chart;
}

function shortened(label) {
  const characters = Array.from(label);
  return characters.length > LABEL_CHARACTERS
    ? `${characters.slice(0, LABEL_CHARACTERS - 1).join("")}…`
    : label;
}

export const CHART_LIMIT = SHOWN;
