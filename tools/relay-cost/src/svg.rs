//! `report.svg`, written by hand (no plotting dependency): relay cost per handshake as bars
//! with the floor marked, and relay CPU load against client count for each population.

use core::fmt::Write;

/// One bar: a handshake's relay cost.
#[derive(Clone, Debug)]
pub(crate) struct Bar {
    pub(crate) label: String,
    /// Median relay respond, µs.
    pub(crate) median: f64,
    /// Spread shown as a whisker (p10, p90), µs.
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    /// Floor, µs (drawn as a tick inside the bar).
    pub(crate) floor: Option<f64>,
}

/// One load line: cores a relay needs per client of a population (load is linear).
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub(crate) label: String,
    pub(crate) cores_per_client: f64,
}

/// What the chart shows.
#[derive(Clone, Debug)]
pub(crate) struct Chart {
    pub(crate) title: String,
    /// Machine and date, under the title.
    pub(crate) subtitle: String,
    pub(crate) bars: Vec<Bar>,
    pub(crate) lines: Vec<Line>,
    /// The relay's core count (the saturation level).
    pub(crate) cores: f64,
    /// The scenario's client count (marked on the x axis).
    pub(crate) clients: f64,
}

const W: f64 = 800.0;
/// Colour and dash pattern of a handshake's bar or a population's line: each population takes
/// the colour of the handshake it is made of; mixed and ntor-v3 lines are dashed, so lines that
/// lie close together on the log scale stay apart.
fn style(label: &str) -> (&'static str, &'static str) {
    if label.starts_with("mixed") {
        ("#e67e22", "8 4")
    } else if label.starts_with("TAP") {
        ("#c0392b", "none")
    } else if label.starts_with("ntor-v3") {
        ("#2471a3", "8 4")
    } else if label.starts_with("ntor") {
        ("#8e44ad", "none")
    } else if label.starts_with("CREATE_FAST") {
        ("#16a085", "none")
    } else {
        ("#7f8c8d", "none")
    }
}

/// Escapes text for SVG.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" axis maximum and step (1, 2 or 5 × 10^k) covering `max` in about `ticks` steps.
pub(crate) fn nice_axis(max: f64, ticks: f64) -> (f64, f64) {
    if !(max.is_finite() && max > 0.0) {
        return (1.0, 0.25);
    }
    let raw = max / ticks;
    #[allow(clippy::cast_possible_truncation)] // a decimal exponent of a finite positive float
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

/// Axis label for a client count (`25M`, `1.5G`).
pub(crate) fn clients_label(x: f64) -> String {
    let (v, unit) = if x >= 1e12 {
        (x / 1e12, "T")
    } else if x >= 1e9 {
        (x / 1e9, "G")
    } else if x >= 1e6 {
        (x / 1e6, "M")
    } else if x >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    // Three significant figures at most.
    let s = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        trim(format!("{v:.1}").parse().unwrap_or(v))
    } else {
        trim(format!("{v:.2}").parse().unwrap_or(v))
    };
    format!("{s}{unit}")
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Renders the SVG document.
pub(crate) fn render(c: &Chart) -> String {
    let mut o = String::new();
    let _ = write_svg(&mut o, c);
    o
}

fn write_svg(o: &mut String, c: &Chart) -> core::fmt::Result {
    let bar_h = 26.0;
    let top1 = 72.0;
    #[allow(clippy::cast_precision_loss)]
    let panel1_h = 40.0 + bar_h * c.bars.len().max(1) as f64 + 40.0;
    let top2 = top1 + panel1_h + 40.0;
    let panel2_h = 280.0;
    let h = top2 + panel2_h + 90.0;
    writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="sans-serif" font-size="12">"#
    )?;
    writeln!(o, r#"<rect width="100%" height="100%" fill="white"/>"#)?;
    writeln!(
        o,
        r#"<text x="20" y="24" font-size="16" font-weight="bold">{}</text>"#,
        esc(&c.title)
    )?;
    writeln!(
        o,
        r##"<text x="20" y="42" font-size="11" fill="#555">{}</text>"##,
        esc(&c.subtitle)
    )?;

    // Panel 1: relay cost per handshake.
    let left = 130.0;
    let right = W - 120.0;
    writeln!(
        o,
        r#"<text x="20" y="{}" font-weight="bold">Relay cost per handshake (µs, median; whisker p10–p90; black tick = floor)</text>"#,
        top1
    )?;
    let max_us = c
        .bars
        .iter()
        .map(|b| b.hi.max(b.median).max(b.floor.unwrap_or(0.0)))
        .fold(0.0, f64::max);
    let (xmax, xstep) = nice_axis(max_us, 5.0);
    let sx = |v: f64| left + (right - left) * (v / xmax).clamp(0.0, 1.0);
    let axis_y = top1 + 20.0 + bar_h * c.bars.len().max(1) as f64 + 8.0;
    let mut t = 0.0;
    while t <= xmax * 1.000_001 {
        let x = sx(t);
        writeln!(
            o,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{axis_y:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            top1 + 14.0,
            axis_y + 16.0,
            trim(t)
        )?;
        t += xstep;
    }
    for (i, b) in c.bars.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = top1 + 20.0 + bar_h * i as f64;
        let (colour, _) = style(&b.label);
        writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + bar_h * 0.6,
            esc(&b.label)
        )?;
        writeln!(
            o,
            r#"<rect x="{left:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}" fill-opacity="0.75"><title>{}: {:.1} µs</title></rect>"#,
            y + 4.0,
            (sx(b.median) - left).max(1.0),
            bar_h - 8.0,
            esc(&b.label),
            b.median
        )?;
        let yc = y + bar_h / 2.0;
        writeln!(
            o,
            r##"<line x1="{:.1}" y1="{yc:.1}" x2="{:.1}" y2="{yc:.1}" stroke="#333"/>"##,
            sx(b.lo),
            sx(b.hi)
        )?;
        if let Some(f) = b.floor {
            writeln!(
                o,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="black" stroke-width="3"><title>floor {f:.1} µs</title></line>"##,
                y + 2.0,
                y + bar_h - 2.0,
                x = sx(f)
            )?;
        }
        writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            sx(b.hi.max(b.median)) + 6.0,
            y + bar_h * 0.6,
            fmt_us(b.median)
        )?;
    }

    // Panel 2: CPU load against client count, log-log: load is linear in clients, so every
    // population is a line of slope 1 and the vertical gap between lines is their cost ratio.
    let (l2, r2) = (80.0, W - 290.0);
    let (t2, b2) = (top2 + 20.0, top2 + panel2_h);
    writeln!(
        o,
        r#"<text x="20" y="{top2}" font-weight="bold">Relay CPU load against client count (cores busy with handshakes; log-log)</text>"#
    )?;
    let slopes: Vec<&Line> = c
        .lines
        .iter()
        .filter(|l| l.cores_per_client.is_finite() && l.cores_per_client > 0.0)
        .collect();
    let sats: Vec<f64> = slopes
        .iter()
        .map(|l| c.cores / l.cores_per_client)
        .collect();
    let sat_lo = sats.iter().copied().fold(f64::INFINITY, f64::min);
    let sat_hi = sats.iter().copied().fold(0.0, f64::max);
    let clients = if c.clients > 0.0 { c.clients } else { sat_lo };
    let (mut lx0, mut lx1) = if sats.is_empty() {
        (4.0, 10.0)
    } else {
        (
            (clients.min(sat_lo) / 30.0).log10().floor(),
            (clients.max(sat_hi) * 3.0).log10().ceil(),
        )
    };
    if lx1 - lx0 > 9.0 {
        lx0 = lx1 - 9.0;
    }
    if lx1 - lx0 < 3.0 {
        lx1 = lx0 + 3.0;
    }
    let ly1 = (c.cores * 3.0).log10().ceil();
    let ly0 = ly1 - (lx1 - lx0).max(4.0);
    let px = |lx: f64| l2 + (r2 - l2) * ((lx - lx0) / (lx1 - lx0)).clamp(0.0, 1.0);
    let py = |ly: f64| b2 - (b2 - t2) * ((ly - ly0) / (ly1 - ly0)).clamp(0.0, 1.0);
    let mut d = lx0;
    while d <= lx1 + 1e-9 {
        writeln!(
            o,
            r##"<line x1="{x:.1}" y1="{t2:.1}" x2="{x:.1}" y2="{b2:.1}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            b2 + 16.0,
            clients_label(10f64.powf(d)),
            x = px(d)
        )?;
        d += 1.0;
    }
    let mut d = ly0;
    while d <= ly1 + 1e-9 {
        writeln!(
            o,
            r##"<line x1="{l2:.1}" y1="{y:.1}" x2="{r2:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            l2 - 6.0,
            py(d) + 4.0,
            decade_label(d),
            y = py(d)
        )?;
        d += 1.0;
    }
    writeln!(
        o,
        r##"<rect x="{l2}" y="{t2}" width="{:.1}" height="{:.1}" fill="none" stroke="#999"/>"##,
        r2 - l2,
        b2 - t2
    )?;
    writeln!(
        o,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">clients</text>"#,
        (l2 + r2) / 2.0,
        b2 + 34.0
    )?;
    writeln!(
        o,
        r#"<text x="20" y="{:.1}" transform="rotate(-90 20 {:.1})" text-anchor="middle">cores</text>"#,
        (t2 + b2) / 2.0,
        (t2 + b2) / 2.0
    )?;
    // Saturation level and the scenario's client count.
    let lcores = c.cores.log10();
    writeln!(
        o,
        r##"<line x1="{l2}" y1="{y:.1}" x2="{r2}" y2="{y:.1}" stroke="black" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}">relay saturated ({} cores)</text>"##,
        l2 + 6.0,
        py(lcores) - 5.0,
        trim(c.cores),
        y = py(lcores)
    )?;
    let lclients = clients.log10();
    if c.clients > 0.0 && (lx0..=lx1).contains(&lclients) {
        writeln!(
            o,
            r##"<line x1="{x:.1}" y1="{t2}" x2="{x:.1}" y2="{b2}" stroke="#555" stroke-dasharray="2 3"/><text x="{:.1}" y="{:.1}">{} clients</text>"##,
            px(lclients) + 4.0,
            b2 - 6.0,
            clients_label(c.clients),
            x = px(lclients)
        )?;
    }
    for (n, l) in slopes.iter().enumerate() {
        let (colour, dash) = style(&l.label);
        let lk = l.cores_per_client.log10();
        // ly = lk + lx, clipped to the plot.
        let a = lx0.max(ly0 - lk);
        let b = lx1.min(ly1 - lk);
        if a < b {
            writeln!(
                o,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>"#,
                px(a),
                py(lk + a),
                px(b),
                py(lk + b)
            )?;
        }
        let sat = c.cores / l.cores_per_client;
        let lsat = sat.log10();
        if (lx0..=lx1).contains(&lsat) {
            writeln!(
                o,
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"><title>{}: full at {} clients</title></circle>"#,
                px(lsat),
                py(lcores),
                esc(&l.label),
                clients_label(sat)
            )?;
        }
        if c.clients > 0.0 && (lx0..=lx1).contains(&lclients) {
            writeln!(
                o,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="white" stroke="{colour}" stroke-width="2"><title>{}: {:.3} % of the relay at {} clients</title></circle>"#,
                px(lclients),
                py(lk + lclients),
                esc(&l.label),
                100.0 * l.cores_per_client * c.clients / c.cores,
                clients_label(c.clients)
            )?;
        }
        #[allow(clippy::cast_precision_loss)]
        let ly = t2 + 34.0 + 18.0 * n as f64;
        writeln!(
            o,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/><text x="{:.1}" y="{:.1}">{} (full at {})</text>"#,
            r2 + 6.0,
            ly,
            r2 + 22.0,
            ly,
            r2 + 26.0,
            ly + 4.0,
            esc(&l.label),
            clients_label(sat)
        )?;
    }
    writeln!(o, "</svg>")?;
    Ok(())
}

/// Label of the decade `10^d` on the load axis.
fn decade_label(d: f64) -> String {
    if (-3.0..=4.0).contains(&d) {
        trim(10f64.powf(d))
    } else {
        format!("1e{d:.0}")
    }
}

fn fmt_us(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0} µs")
    } else if x >= 1.0 {
        format!("{x:.1} µs")
    } else {
        format!("{x:.2} µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            title: "t <&> \"q\"".to_owned(),
            subtitle: "machine".to_owned(),
            bars: vec![
                Bar {
                    label: "TAP".into(),
                    median: 1000.0,
                    lo: 990.0,
                    hi: 1020.0,
                    floor: Some(900.0),
                },
                Bar {
                    label: "ntor".into(),
                    median: 220.0,
                    lo: 215.0,
                    hi: 230.0,
                    floor: None,
                },
            ],
            lines: vec![
                Line {
                    label: "TAP-only".into(),
                    cores_per_client: 1e-7,
                },
                Line {
                    label: "ntor-only".into(),
                    cores_per_client: 2e-8,
                },
            ],
            cores: 2.0,
            clients: 5e6,
        }
    }

    #[test]
    fn nice_axes() {
        assert_eq!(nice_axis(1020.0, 5.0), (1500.0, 500.0));
        assert_eq!(nice_axis(980.0, 5.0), (1000.0, 200.0));
        assert_eq!(nice_axis(3.0, 6.0), (3.0, 0.5));
        assert_eq!(nice_axis(0.0, 5.0), (1.0, 0.25));
        let (m, s) = nice_axis(2.5e7, 5.0);
        assert!(m >= 2.5e7 && s == 5e6);
    }

    #[test]
    fn svg_is_well_formed() {
        let s = render(&chart());
        assert!(s.starts_with("<svg "));
        assert!(s.trim_end().ends_with("</svg>"));
        assert!(!s.contains("NaN") && !s.contains("inf"));
        assert!(s.contains("&lt;&amp;&gt;"), "title must be escaped");
        assert_eq!(
            s.matches("<rect").count(),
            2 + 2,
            "background, two bars, plot frame"
        );
        // TAP-only saturates 2 cores at 2e7 clients, ntor-only at 1e8.
        assert!(s.contains("TAP-only (full at 20M)"));
        assert!(s.contains("ntor-only (full at 100M)"));
        assert_eq!(
            s.matches("<circle").count(),
            4,
            "saturation and scenario points"
        );
        // Every opening tag is closed or self-closing.
        let opens = s.matches("<text").count();
        assert_eq!(opens, s.matches("</text>").count());
    }

    #[test]
    fn labels() {
        assert_eq!(clients_label(2.5e7), "25M");
        assert_eq!(clients_label(1.5e9), "1.5G");
        assert_eq!(clients_label(0.0), "0");
        assert_eq!(clients_label(14_499_000_000.0), "14.5G");
        assert_eq!(clients_label(123_456.0), "123k");
    }
}
