"""The report's charts as Vega-Lite specs, from profile tables, each with its alt text.

Colours come from the Okabe-Ito palette, which stays distinguishable with the common forms
of colour blindness; series are also told apart by their labels, never by colour alone.
Suppressed or missing values (``<5``, ``[c]``, None) are left out of a chart, not drawn as 0.

Examples
--------
>>> import pyarrow as pa
>>> t = pa.table({"month": ["2021-08", "2021-09"], "all": [10, 12], "domestic": [8, 9],
...               "non_domestic": [2, 3], "recording_break": [None, None]})
>>> chart = rolling_chart(t, "stalking")
>>> chart.spec["layer"][0]["mark"]["type"], chart.alt.split(";")[0]
('line', 'Line chart of rolling 12-month stalking crimes by month, 2021-08 to 2021-09')
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from stalking_profile.reporting.document import Chart

__all__ = ["OKABE_ITO", "band_chart", "compliance_chart", "rate_chart", "rolling_chart", "series_chart"]

#: Okabe-Ito colours (colour-blind safe), in the order series take them.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
_FONT = {"font": "DejaVu Sans", "axis": {"labelFontSize": 10, "titleFontSize": 11},
         "legend": {"labelFontSize": 10, "titleFontSize": 11}, "title": {"fontSize": 13, "anchor": "start"}}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def rolling_chart(table: pa.Table, family: str) -> Chart:
    """Rolling 12-month totals (all, domestic, non-domestic) with recording-rule breaks marked."""
    series = (("all", "All"), ("domestic", "Domestic"), ("non_domestic", "Non-domestic"))
    rows = table.to_pylist()
    values = [{"month": r["month"], "series": label, "crimes": _number(r[col])}
              for r in rows for col, label in series if _number(r[col]) is not None]
    breaks = [{"month": r["month"], "note": str(r["recording_break"]).split(":")[0]}
              for r in rows if r.get("recording_break")]
    line = {"mark": {"type": "line", "point": False, "strokeWidth": 2},
            "encoding": {"x": {"field": "month", "type": "temporal", "title": None},
                         "y": {"field": "crimes", "type": "quantitative", "title": "crimes in the previous 12 months"},
                         "color": {"field": "series", "type": "nominal", "title": None,
                                   "scale": {"domain": [s[1] for s in series], "range": list(OKABE_ITO[:3])}},
                         "strokeDash": {"field": "series", "type": "nominal", "title": None,
                                        "scale": {"domain": [s[1] for s in series],
                                                  "range": [[1, 0], [6, 3], [2, 2]]}}},
            "data": {"values": values}}
    rule = {"mark": {"type": "rule", "color": "#555555", "strokeDash": [4, 4]},
            "encoding": {"x": {"field": "month", "type": "temporal"}}, "data": {"values": breaks}}
    label = {"mark": {"type": "text", "align": "left", "dx": 3, "dy": -4, "fontSize": 9, "color": "#333333"},
             "encoding": {"x": {"field": "month", "type": "temporal"}, "y": {"value": 8},
                          "text": {"field": "note", "type": "nominal"}}, "data": {"values": breaks}}
    spec = {"$schema": _SCHEMA, "width": 620, "height": 260, "config": _FONT,
            "title": f"Rolling 12-month {family} crimes", "layer": [line, *([rule, label] if breaks else [])]}
    months = [r["month"] for r in rows]
    last = {v["series"]: v["crimes"] for v in values if v["month"] == months[-1]} if months else {}
    alt = (f"Line chart of rolling 12-month {family} crimes by month, {months[0]} to {months[-1]}; "
           if months else f"Line chart of rolling 12-month {family} crimes (no months); ")
    alt += "; ".join(f"{name} ends at {_fmt(v)}" for name, v in last.items() if v is not None)
    if breaks:
        alt += "; dashed lines mark recording-rule changes: " + ", ".join(b["note"] for b in breaks)
    return Chart("rolling_12m", f"Rolling 12-month {family} crimes", spec, alt + ".")


def rate_chart(table: pa.Table, name: str, what: str, districts: tuple[str, ...]) -> Chart:
    """Rates (``rate_pct`` with ``ci_low``/``ci_high``) by district, domestic and non-domestic."""
    rows = [r for r in table.to_pylist() if r["domestic"] != "All" and _number(r.get("rate_pct")) is not None]
    values = [{"district": r["district"], "group": r["domestic"], "rate": _number(r["rate_pct"]),
               "low": _number(r.get("ci_low")), "high": _number(r.get("ci_high"))} for r in rows]
    order = [d for d in (*districts, "Force") if any(v["district"] == d for v in values)]
    colour = {"field": "group", "type": "nominal", "title": None,
              "scale": {"domain": ["Domestic", "Non-Domestic"], "range": list(OKABE_ITO[1:3])}}
    points = {"mark": {"type": "point", "filled": True, "size": 60},
              "encoding": {"y": {"field": "district", "type": "nominal", "sort": order, "title": None},
                           "yOffset": {"field": "group"},
                           "x": {"field": "rate", "type": "quantitative", "title": f"{what} rate (%)",
                                 "scale": {"domain": [0, 100]}},
                           "color": colour, "shape": {"field": "group", "type": "nominal", "legend": None}}}
    bars = {"mark": {"type": "rule"}, "encoding": {
        "y": {"field": "district", "type": "nominal", "sort": order}, "yOffset": {"field": "group"},
        "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"}, "color": colour}}
    spec = {"$schema": _SCHEMA, "width": 520, "height": 40 * max(len(order), 1), "config": _FONT,
            "title": f"{what.capitalize()} rate by district, with 95% intervals", "data": {"values": values},
            "layer": [bars, points]}
    force = {v["group"]: v["rate"] for v in values if v["district"] == "Force"}
    alt = f"Dot chart of the {what} rate by district for domestic and non-domestic crimes, with 95% intervals"
    if force:
        alt += "; force: " + ", ".join(f"{g.lower()} {r:.1f}%" for g, r in force.items() if r is not None)
    return Chart(name, f"{what.capitalize()} rate by district", spec, alt + ".")


def band_chart(table: pa.Table, districts: tuple[str, ...]) -> Chart:
    """Crimes by cumulative-risk band and district (stacked bars), domestic and non-domestic."""
    bands = ("standard", "medium", "high")
    values = [{"district": r["district"], "group": r["domestic"], "band": b, "crimes": _number(r[b])}
              for r in table.to_pylist() if r["district"] != "Force" and r["domestic"] != "All"
              for b in bands if _number(r.get(b)) is not None]
    spec = {"$schema": _SCHEMA, "config": _FONT, "title": "Crimes by cumulative-risk band",
            "data": {"values": values}, "width": 240, "height": 30 * max(len(districts), 1),
            "mark": "bar", "encoding": {
                "row": {"field": "group", "type": "nominal", "title": None},
                "y": {"field": "district", "type": "nominal", "sort": list(districts), "title": None},
                "x": {"field": "crimes", "type": "quantitative", "stack": "zero"},
                "color": {"field": "band", "type": "nominal", "title": "band",
                          "scale": {"domain": list(bands), "range": [OKABE_ITO[5], OKABE_ITO[4], OKABE_ITO[1]]}},
                "order": {"field": "band", "sort": "ascending"}}}
    force = {r["domestic"]: r for r in table.to_pylist() if r["district"] == "Force"}
    alt = "Stacked bar chart of crimes by cumulative-risk band (standard, medium, high) for each district"
    whole = force.get("All")
    if whole and all(_number(whole.get(b)) is not None for b in bands):
        alt += "; force: " + ", ".join(f"{b} {int(whole[b]):,}" for b in bands)
    return Chart("cumulative_risk", "Crimes by cumulative-risk band", spec, alt + ".")


def series_chart(table: pa.Table, name: str, title: str, x: str, series: tuple[tuple[str, str], ...],
                 y_title: str) -> Chart:
    """Counts over ordered periods (``x``: e.g. quarters), one line per ``(column, label)`` of ``series``."""
    rows = table.to_pylist()
    values = [{"x": r[x], "series": label, "count": _number(r.get(column))}
              for r in rows for column, label in series if _number(r.get(column)) is not None]
    labels = [label for _, label in series]
    spec = {"$schema": _SCHEMA, "width": 520, "height": 220, "config": _FONT, "title": title,
            "data": {"values": values}, "mark": {"type": "line", "point": True},
            "encoding": {"x": {"field": "x", "type": "ordinal", "title": None, "sort": [r[x] for r in rows]},
                         "y": {"field": "count", "type": "quantitative", "title": y_title},
                         "color": {"field": "series", "type": "nominal", "title": None,
                                   "scale": {"domain": labels, "range": list(OKABE_ITO[:len(labels)])}},
                         "strokeDash": {"field": "series", "type": "nominal", "legend": None}}}
    alt = f"Line chart by {x} of: {'; '.join(labels)}"  # labels as given: some are names ("College of Policing")
    if rows:
        first, last = rows[0], rows[-1]
        alt += f"; {first[x]} to {last[x]}: " + "; ".join(
            f"{label} {_fmt(float(first[c]))} then {_fmt(float(last[c]))}" for c, label in series
            if _number(first.get(c)) is not None and _number(last.get(c)) is not None)
    return Chart(name, title, spec, alt + ".")


def compliance_chart(table: pa.Table, questions: dict[str, str]) -> Chart:
    """The force's audit compliance per checklist item, domestic against non-domestic, with 95% intervals."""
    rows = [r for r in table.to_pylist() if r["district"] == "Force" and r["domestic"] != "All"
            and _number(r.get("rate_pct")) is not None]
    values = [{"item": questions.get(r["item"], r["item"]), "group": r["domestic"], "rate": _number(r["rate_pct"]),
               "low": _number(r.get("ci_low")), "high": _number(r.get("ci_high"))} for r in rows]
    order = list(dict.fromkeys(v["item"] for v in values))
    colour = {"field": "group", "type": "nominal", "title": None,
              "scale": {"domain": ["Domestic", "Non-Domestic"], "range": list(OKABE_ITO[1:3])}}
    y = {"field": "item", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 320}}
    points = {"mark": {"type": "point", "filled": True, "size": 60},
              "encoding": {"y": y, "yOffset": {"field": "group"},
                           "x": {"field": "rate", "type": "quantitative", "title": "crimes meeting the item (%)",
                                 "scale": {"domain": [0, 100]}},
                           "color": colour, "shape": {"field": "group", "type": "nominal", "legend": None}}}
    bars = {"mark": {"type": "rule"}, "encoding": {"y": y, "yOffset": {"field": "group"},
                                                    "x": {"field": "low", "type": "quantitative"},
                                                    "x2": {"field": "high"}, "color": colour}}
    spec = {"$schema": _SCHEMA, "width": 360, "height": 34 * max(len(order), 1), "config": _FONT,
            "title": "Dip-sample audit: compliance by checklist item, with 95% intervals", "data": {"values": values},
            "layer": [bars, points]}
    alt = ("Dot chart of the share of audited crimes meeting each checklist item, domestic against non-domestic, "
           "with 95% intervals; " + "; ".join(f"{v['item']}: {v['group'].lower()} {v['rate']:.1f}%"
                                              for v in values if v["rate"] is not None))
    return Chart("audits", "Dip-sample audit compliance", spec, alt + ".")
