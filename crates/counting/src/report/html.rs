//! A self-contained HTML result page: the stage table and an SVG line chart of each candidate's
//! total by round, with the quota as a dashed line. No script, no external assets; the chart
//! has a text alternative and the table carries the same figures.

use std::fmt::Write;

use super::text::elected_stage;
use crate::result::CountResult;

const PALETTE: [&str; 12] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#ff7f0e", "#393b79", "#637939",
];

/// Text made safe for the page, in element content and in double-quoted attributes alike.
fn esc(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

fn chart(r: &CountResult) -> String {
    let (w, h, left, right, top, bottom) = (720i64, 360i64, 60i64, 20i64, 20i64, 40i64);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let rounds = r.rounds.len() as i64;
    let max = r
        .rounds
        .iter()
        .flat_map(|k| k.tallies.iter().copied().chain(k.quota))
        .chain(r.quota.filter(|_| r.threshold.is_none()))
        .max()
        .unwrap_or(1)
        .max(1);
    // Pixel positions by integer arithmetic: the chart is drawn from the same exact figures.
    let x = |i: i64| {
        left + if rounds > 1 {
            i * pw / (rounds - 1)
        } else {
            pw / 2
        }
    };
    let y = |v: i64| top + ph - (i128::from(v) * i128::from(ph) / i128::from(max)) as i64;
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"chart-title\">\
         <title id=\"chart-title\">Each candidate's votes at each stage of the count</title>"
    );
    let _ = write!(
        o,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        top + ph,
        left + pw,
        top + ph
    );
    let _ = write!(
        o,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#333\"/>",
        top + ph
    );
    for i in 0..rounds {
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>",
            x(i),
            top + ph + 16,
            i + 1
        );
    }
    let _ = write!(
        o,
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">Stage</text>",
        left + pw / 2,
        h - 4
    );
    for t in 0..=4 {
        let v = max * t / 4;
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            left - 4,
            y(v) + 4,
            esc(&r.fmt(v - v % 10i64.pow(r.scale)))
        );
    }
    if let (Some(q), None) = (r.quota, &r.threshold) {
        let _ = write!(
            o,
            "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#000\" stroke-dasharray=\"6 4\"/>\
             <text x=\"{1}\" y=\"{2}\" font-size=\"11\" text-anchor=\"end\">quota</text>",
            y(q),
            left + pw,
            y(q) - 4
        );
    }
    for c in 0..r.candidates.len() {
        let colour = PALETTE[c % PALETTE.len()];
        let pts: Vec<String> = r
            .rounds
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{},{}", x(i as i64), y(k.tallies[c])))
            .collect();
        let _ = write!(
            o,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            pts.join(" "),
            esc(&r.candidates[c])
        );
    }
    o.push_str("</svg>");
    o
}

pub fn html(r: &CountResult) -> String {
    let title = r
        .title
        .clone()
        .unwrap_or_else(|| format!("Count by {}", r.method.id()));
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:1rem;max-width:72rem}}\
         table{{border-collapse:collapse;display:block;overflow-x:auto}}th,td{{border:1px solid #999;padding:.25rem .5rem}}\
         td{{text-align:right;font-variant-numeric:tabular-nums}}th[scope=row]{{text-align:left}}\
         .el{{font-weight:bold;background:#e6f4ea}}.ex{{color:#555;background:#f4e6e6}}svg{{max-width:100%;height:auto}}\
         .key{{display:inline-block;width:1em;height:.6em;margin-right:.3em}}</style></head><body>",
        esc(&title)
    );
    let _ = write!(o, "<h1>{}</h1><p>{}</p><dl>", esc(&title), esc(&r.rule));
    let _ = write!(
        o,
        "<dt>Method</dt><dd>{}</dd><dt>Seats</dt><dd>{}</dd>",
        r.method.id(),
        r.seats
    );
    let _ = write!(o, "<dt>Valid votes</dt><dd>{}</dd>", r.fmt(r.valid));
    if let Some(q) = r.quota {
        let _ = write!(
            o,
            "<dt>{}</dt><dd>{}</dd>",
            if r.threshold.is_some() {
                "Votes needed"
            } else {
                "Quota"
            },
            r.fmt(q)
        );
    }
    let _ = write!(o, "</dl><h2>Elected</h2><ol>");
    for &c in &r.elected {
        let stage = elected_stage(r, c)
            .map(|s| format!(" (stage {s})"))
            .unwrap_or_default();
        let _ = write!(o, "<li>{}{stage}</li>", esc(&r.candidates[c]));
    }
    let _ = write!(o, "</ol><h2>Stages</h2><figure>{}<figcaption>", chart(r));
    for (c, name) in r.candidates.iter().enumerate() {
        let _ = write!(
            o,
            "<span><span class=\"key\" style=\"background:{}\"></span>{}</span> ",
            PALETTE[c % PALETTE.len()],
            esc(name)
        );
    }
    let _ = write!(o, "</figcaption></figure><table><caption>Votes at the end of each stage</caption><thead><tr><th scope=\"col\">Candidate</th>");
    for k in &r.rounds {
        let _ = write!(o, "<th scope=\"col\">Stage {}</th>", k.number);
    }
    o.push_str("</tr></thead><tbody>");
    for (c, name) in r.candidates.iter().enumerate() {
        let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(name));
        for k in &r.rounds {
            let (class, mark) = if k.elected.contains(&c) {
                (" class=\"el\"", " (elected)")
            } else if k.excluded.contains(&c) {
                (" class=\"ex\"", " (excluded)")
            } else {
                ("", "")
            };
            let _ = write!(o, "<td{class}>{}{mark}</td>", r.fmt(k.tallies[c]));
        }
        o.push_str("</tr>");
    }
    o.push_str("<tr><th scope=\"row\">Non-transferable</th>");
    for k in &r.rounds {
        let _ = write!(o, "<td>{}</td>", r.fmt(k.non_transferable));
    }
    o.push_str("</tr></tbody></table><h2>What each stage did</h2><ol>");
    for k in &r.rounds {
        let _ = write!(o, "<li>{}</li>", esc(&k.action));
    }
    o.push_str("</ol>");
    if !r.ties.is_empty() {
        o.push_str("<h2>Ties</h2><ul>");
        for t in &r.ties {
            let _ = write!(
                o,
                "<li>Stage {} ({}): {} chosen from {} by {}</li>",
                t.round,
                esc(&t.purpose),
                esc(&r.candidates[t.chosen]),
                esc(&r.names(&t.between).join(", ")),
                esc(&t.resolved_by)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</body></html>\n");
    o
}
