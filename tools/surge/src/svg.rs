//! A small hand-written SVG line chart: one panel per metric, one line per scenario.

use core::fmt::Write as _;

/// One line of a panel.
pub(crate) struct Series<'a> {
    /// Legend label.
    pub(crate) label: &'a str,
    /// (x, y) points.
    pub(crate) points: Vec<(f64, f64)>,
}

/// One panel.
pub(crate) struct Panel<'a> {
    /// Title above the panel.
    pub(crate) title: &'a str,
    /// Y axis label.
    pub(crate) y_label: &'a str,
    /// Y axis maximum (the minimum is 0).
    pub(crate) y_max: f64,
    /// Lines.
    pub(crate) series: Vec<Series<'a>>,
}

const COLOURS: [&str; 6] = [
    "#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b",
];
/// Dash patterns, so that lines lying on top of each other stay visible.
const DASHES: [&str; 6] = ["", "8 4", "", "4 3", "", "2 3"];
const WIDTHS: [f64; 6] = [2.5, 2.5, 4.0, 2.0, 2.5, 2.0];
const W: f64 = 420.0;
const H: f64 = 220.0;
const ML: f64 = 64.0;
const MT: f64 = 56.0;
const GAP_X: f64 = 70.0;
const GAP_Y: f64 = 80.0;
const COLUMNS: usize = 2;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders panels side by side, sharing the x axis (`x_label`, ticks at `x_ticks`).
pub(crate) fn render(title: &str, x_label: &str, x_ticks: &[f64], panels: &[Panel<'_>]) -> String {
    let cols = panels.len().clamp(1, COLUMNS);
    let rows = panels.len().div_ceil(COLUMNS).max(1);
    let width = ML + cols as f64 * (W + GAP_X) + 10.0;
    let legend_rows = panels.first().map_or(0, |p| p.series.len()) as f64;
    let legend_top = MT + rows as f64 * (H + GAP_Y) - 20.0;
    let height = legend_top + legend_rows * 16.0 + 10.0;
    let x_max = x_ticks.iter().copied().fold(1e-9, f64::max);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{:.0}" y="20" font-size="15" font-weight="bold">{}</text>"#,
        ML,
        esc(title)
    );
    for (i, p) in panels.iter().enumerate() {
        let x0 = ML + (i % COLUMNS) as f64 * (W + GAP_X);
        let y0 = MT + (i / COLUMNS) as f64 * (H + GAP_Y);
        let px = |x: f64| x0 + x / x_max * W;
        let py = |y: f64| y0 + H - (y / p.y_max).clamp(0.0, 1.05) * H;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-weight="bold">{}</text>"#,
            x0,
            y0 - 8.0,
            esc(p.title)
        );
        let _ = writeln!(
            s,
            r##"<rect x="{x0:.1}" y="{y0:.1}" width="{W:.1}" height="{H:.1}" fill="none" stroke="#888"/>"##
        );
        for k in 0..=4 {
            let v = p.y_max * f64::from(k) / 4.0;
            let y = py(v);
            let _ = writeln!(
                s,
                r##"<line x1="{x0:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                x0 + W,
                x0 - 4.0,
                y + 4.0,
                fmt_tick(v)
            );
        }
        for &t in x_ticks {
            let x = px(t);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#888"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                y0 + H,
                y0 + H + 4.0,
                y0 + H + 16.0,
                fmt_tick(t)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x0 + W / 2.0,
            y0 + H + 32.0,
            esc(x_label)
        );
        let _ = writeln!(
            s,
            r#"<text transform="translate({:.1},{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            x0 - 44.0,
            y0 + H / 2.0,
            esc(p.y_label)
        );
        for (j, series) in p.series.iter().enumerate() {
            let colour = COLOURS.get(j % COLOURS.len()).copied().unwrap_or("black");
            let dash = DASHES.get(j % DASHES.len()).copied().unwrap_or("");
            let w = WIDTHS.get(j % WIDTHS.len()).copied().unwrap_or(2.0);
            let pts: Vec<String> = series
                .points
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="{w}" stroke-dasharray="{dash}" points="{}"/>"#,
                pts.join(" ")
            );
            for &(x, y) in &series.points {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{colour}"/>"#,
                    px(x),
                    py(y)
                );
            }
        }
    }
    if let Some(p) = panels.first() {
        for (j, series) in p.series.iter().enumerate() {
            let colour = COLOURS.get(j % COLOURS.len()).copied().unwrap_or("black");
            let dash = DASHES.get(j % DASHES.len()).copied().unwrap_or("");
            let y = legend_top + j as f64 * 16.0;
            let _ = writeln!(
                s,
                r#"<line x1="{ML:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="3" stroke-dasharray="{dash}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
                ML + 24.0,
                ML + 30.0,
                y + 4.0,
                esc(series.label)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

fn fmt_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
